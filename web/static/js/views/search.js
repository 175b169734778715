import { el } from "../dom.js";

export function mount(host) {
  host.append(el("section", { class: "pane" }, el("h2", {}, "search"), el("p", { class: "muted" }, "Loading…")));
}
