import { el } from "../dom.js";

export function mount(host) {
  host.append(el("section", { class: "pane" }, el("h2", {}, "audit"), el("p", { class: "muted" }, "Loading…")));
}
