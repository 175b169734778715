// Live wall: one tile per camera. Tiles refresh snapshots (cheap, no connection limit);
// an enlarged tile switches to the MJPEG stream.

import { api } from "../api.js";
import { $, clear, el, fmtAgo, fmtDateTime, stateBadge, toast } from "../dom.js";
import { EVENTS } from "../events.js";

const REFRESH_MS = 1000;
const UP = new Set(["online", "starting"]);

export function mount(host, ctx) {
  const grid = el("div", { class: "wall", "data-testid": "wall" });
  const summary = el("span", { class: "muted" });
  host.append(el("div", { class: "pane-head" }, el("h2", {}, "Live wall"), summary,
    el("span", { class: "muted" }, "Click a tile to enlarge · Esc to close")), grid);
  const tiles = new Map();
  let enlarged = null;
  let stopped = false;

  function tile(cam) {
    let t = tiles.get(cam.camera_id);
    if (!t) {
      const image = el("img", { alt: `live view ${cam.name}` });
      const node = el("figure", { class: "tile", tabindex: 0, "data-camera": cam.camera_id,
        onclick: () => toggle(cam.camera_id), onkeydown: (ev) => { if (ev.key === "Enter") toggle(cam.camera_id); } }, image);
      t = { node, image, bar: el("figcaption", { class: "tile-bar" }), overlay: null, loading: false };
      node.append(t.bar);
      tiles.set(cam.camera_id, t);
      grid.append(node);
    }
    t.cam = cam;
    const up = UP.has(cam.state);
    t.node.classList.toggle("down", !up);
    clear(t.bar, el("span", { class: "tile-name" }, cam.name || cam.camera_id), stateBadge(cam.state),
      el("span", { class: "tile-fps", title: "frames analysed per second" }, `${(cam.analysed_fps ?? 0).toFixed(1)} fps`));
    if (t.overlay) { t.overlay.remove(); t.overlay = null; }
    if (!up) {
      t.overlay = el("div", { class: "tile-offline" }, el("strong", {}, `✖ ${String(cam.state).toUpperCase()}`),
        el("span", {}, cam.since ? `since ${fmtDateTime(cam.since)} (${fmtAgo(cam.since)})` : "no frames received"),
        cam.last_error ? el("span", { class: "meta" }, cam.last_error) : "");
      t.node.insertBefore(t.overlay, t.bar);
    }
    return t;
  }

  function refreshImage(t) {
    if (t.loading || enlarged === t.cam.camera_id || !UP.has(t.cam.state)) return;
    t.loading = true;
    const next = new Image();
    next.onload = () => { t.image.src = next.src; t.loading = false; };
    next.onerror = () => { t.loading = false; };
    next.src = `/api/cameras/${encodeURIComponent(t.cam.camera_id)}/snapshot.jpg?t=${Date.now()}`;
  }

  function toggle(id) {
    const t = tiles.get(id);
    if (!t) return;
    if (enlarged === id) {
      t.node.classList.remove("enlarged");
      t.image.src = "";
      enlarged = null;
      refreshImage(t);
      return;
    }
    if (enlarged) toggle(enlarged);
    enlarged = id;
    t.node.classList.add("enlarged");
    if (UP.has(t.cam.state)) t.image.src = `/api/cameras/${encodeURIComponent(id)}/stream.mjpeg?fps=5`;
  }

  function count() {
    const all = [...tiles.values()].map((t) => t.cam);
    const up = all.filter((c) => UP.has(c.state)).length;
    summary.textContent = `${up} of ${all.length} camera(s) up`;
  }

  function render(list) {
    for (const cam of list) tile(cam);
    count();
    if (!list.length) clear(grid, el("div", { class: "empty" }, "No cameras configured."));
  }

  async function load() {
    try {
      const list = await api.get("/api/cameras");
      for (const c of list) ctx.cameras.set(c.camera_id, c);
      render(list);
    } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
  }

  const off = ctx.live.on(EVENTS.CAMERA_STATUS, (m) => {
    if (stopped) return;
    tile({ ...(tiles.get(m.camera_id)?.cam || {}), ...m });
    count();
  });
  const timer = setInterval(() => tiles.forEach(refreshImage), REFRESH_MS);
  const slow = setInterval(load, 10_000);
  const onKey = (ev) => { if (ev.key === "Escape" && enlarged) toggle(enlarged); };
  document.addEventListener("keydown", onKey);
  load();
  return () => {
    stopped = true; off(); clearInterval(timer); clearInterval(slow);
    document.removeEventListener("keydown", onKey);
    for (const t of tiles.values()) t.image.src = "";
  };
}
