// Reads feed: every plate read as it happens, newest first, with its crop.

import { api } from "../api.js";
import { clear, el, fmtTime, img, pct } from "../dom.js";
import { EVENTS } from "../events.js";
import { canPlay, videoLink } from "./playback.js";

const MAX = 120;
const recent = [];  // kept across view switches while the console is open
let listening = null;

function add(m, front = true) {
  const i = recent.findIndex((r) => r.id === m.id);
  if (i >= 0) { if (!front) return; recent.splice(i, 1); }
  if (front) recent.unshift(m); else recent.push(m);
  if (recent.length > MAX) recent.length = MAX;
}

function remember(ctx, render) {
  if (listening === ctx.live) return;
  listening = ctx.live;
  recent.length = 0;
  ctx.live.on(EVENTS.READ, (m) => add(m));
  // Fill in what the cameras saw before the console opened.
  api.get("/api/reads/recent?limit=50")
    .then((page) => { page.items.forEach((m) => add(m, false)); render(); })
    .catch(() => {});
}

export function mount(host, ctx) {
  const hitPlates = () => new Set([...(ctx.hits?.hits.values() || [])].map((h) => h.plate));
  let paused = false;
  const pause = el("button", { class: "btn btn-ghost", onclick: () => { paused = !paused; pause.textContent = paused ? "▶ Resume" : "❚❚ Pause"; render(); } }, "❚❚ Pause");
  const count = el("span", { class: "muted" });
  const list = el("ol", { class: "feed", "data-testid": "reads-feed", "aria-live": "off" });
  host.append(el("section", { class: "pane" },
    el("div", { class: "pane-head" }, el("h2", {}, "Live reads"), count, el("div", { class: "toolbar" }, pause)),
    list));

  function item(r, hits) {
    const isHit = hits.has(r.plate);
    return el("li", { class: isHit ? "is-hit" : "", "data-plate": r.plate },
      img(r.crop_url, `plate ${r.plate}`, "thumb"),
      el("div", {},
        el("div", { class: "plate" }, r.plate, isHit ? el("span", { class: "badge prio-high" }, "HIT") : ""),
        el("div", { class: "meta" }, `${ctx.cameras.get(r.camera_id)?.name || r.camera_id} · ${fmtTime(r.observed_at)} · ${pct(r.confidence)}`,
          r.status === "preview" ? " · preview" : "",
          canPlay(ctx) && r.id ? [" ", videoLink(r.camera_id, r.observed_at, { readId: r.id })] : "")));
  }

  function render() {
    if (paused) return;
    const hits = hitPlates();
    count.textContent = `${recent.length} most recent`;
    clear(list, recent.length ? recent.map((r) => item(r, hits))
      : el("li", { class: "empty" }, "Waiting for reads… they appear here as cameras see plates."));
  }

  const off = ctx.live.on(EVENTS.READ, () => queueMicrotask(render));
  remember(ctx, render);
  render();
  return () => off();
}
