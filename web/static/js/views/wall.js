// Live wall: layouts 1, 2×2, 3×3 and 4×4 (saved per user), full screen. Each tile plays the
// camera's substream as fragmented MP4 (stream copy, Media Source Extensions); an enlarged tile
// switches to the main stream. An offline tile keeps its last frame with the time and state.
// Without MSE (or for a camera that is not H.264) a tile falls back to refreshed snapshots.
// `#/wall/gunshot/<source>/<alert>` shows only a gunshot alert's covering cameras that the user
// may see (the alert's bookmarks, filtered by the server), in the smallest layout that fits them,
// under a banner naming the alert with a way back to the normal wall.

import { api } from "../api.js";
import { clear, el, fmtAgo, fmtDateTime, stateBadge, toast } from "../dom.js";
import { EVENTS } from "../events.js";
import { LivePlayer, mseSupported } from "../msevideo.js";

const LAYOUTS = [1, 2, 3, 4]; // tiles per side
const SNAPSHOT_MS = 1000;
const UP = new Set(["online", "starting", "degraded"]);

function layoutKey(ctx) { return `rtcc.wall.layout.${ctx.user?.username || "anon"}`; }

/** Tiles per side for n cameras: 1, 2×2 up to 4, 3×3 up to 9, else 4×4. */
export function sideFor(n) { return n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4; }

function alertBanner(source, alertId, d) {
  const a = d.alert;
  const path = `${encodeURIComponent(source)}/${encodeURIComponent(alertId)}`;
  return el("div", { class: "wall-alert", role: "status", "data-testid": "wall-alert" },
    el("strong", {}, `Gunshot alert · ${a.alert_type.replace("_", " ")} · ${a.rounds ?? "?"} round(s)`),
    ` ${a.address || `${a.latitude.toFixed(5)}, ${a.longitude.toFixed(5)}`} · ${fmtDateTime(a.detected_at)} · `,
    `${d.bookmarks.length} covering camera(s) `,
    el("a", { class: "btn", href: `#/map/gunshot/${path}` }, "Open on map"), " ",
    el("a", { class: "btn", href: "#/wall", "data-testid": "wall-back" }, "Back to the wall"));
}

function liveUrl(id, stream) { return `/api/video/${encodeURIComponent(id)}/live.mp4?stream=${stream}`; }

export function mount(host, ctx, rest = []) {
  const [kind, source, alertId] = rest.map((x) => decodeURIComponent(x || ""));
  const forAlert = kind === "gunshot" && source && alertId;
  let only = null; // for an alert: the covering camera ids; null is every camera
  let side = Number(localStorage.getItem(layoutKey(ctx))) || 2;
  let page = 0;
  const grid = el("div", { class: "wall", "data-testid": "wall" });
  const summary = el("span", { class: "muted" });
  const pager = el("span", { class: "wall-pager" });
  const layoutButtons = LAYOUTS.map((n) => el("button", { type: "button", class: "btn", "data-layout": n,
    title: n === 1 ? "one camera" : `${n}×${n}`, onclick: () => setLayout(n) }, n === 1 ? "1" : `${n}×${n}`));
  const full = el("button", { type: "button", class: "btn", "data-testid": "wall-fullscreen",
    onclick: () => (document.fullscreenElement ? document.exitFullscreen() : grid.requestFullscreen()).catch(() => {}) }, "⛶ Full screen");
  const alertBox = el("div", {});
  host.append(alertBox, el("div", { class: "pane-head" }, el("h2", {}, "Live wall"), summary,
    el("span", { class: "wall-tools" }, ...layoutButtons, pager, full),
    el("span", { class: "muted" }, "Click a tile to enlarge · Esc to close")), grid);
  const cams = new Map();
  const tiles = new Map();
  let enlarged = null;
  let stopped = false;
  const mse = mseSupported();

  function setLayout(n) {
    side = n;
    if (!forAlert) localStorage.setItem(layoutKey(ctx), String(n));
    page = 0;
    render();
  }

  function makeTile(cam) {
    // Without MSE the tile shows the snapshot image instead of the video from the start.
    const video = el("video", { muted: true, autoplay: true, playsinline: true, hidden: !mse, "data-testid": "live-video" });
    video.muted = true;
    const image = el("img", { alt: `live view ${cam.name}`, hidden: mse });
    const node = el("figure", { class: "tile", tabindex: 0, "data-camera": cam.camera_id,
      onclick: () => toggle(cam.camera_id), onkeydown: (ev) => { if (ev.key === "Enter") toggle(cam.camera_id); } }, video, image);
    const t = { node, video, image, bar: el("figcaption", { class: "tile-bar" }), overlay: null,
      player: null, stream: null, snapshot: !mse, lastFrameAt: null, loading: false };
    node.append(t.bar);
    return t;
  }

  function play(t, stream) {
    if (t.snapshot || t.stream === stream) return;
    if (t.player) t.player.stop();
    t.stream = stream;
    t.node.dataset.stream = stream;
    t.player = new LivePlayer(t.video, liveUrl(t.cam.camera_id, stream), { onstate: (state) => {
      if (state === "unsupported") { t.snapshot = true; t.video.hidden = true; t.image.hidden = false; }
      if (state === "playing") t.lastFrameAt = new Date().toISOString();
      t.node.dataset.video = state;
    } });
  }

  function stopPlayer(t) {
    if (t.player) t.player.stop(); // the last frame stays on the tile
    t.player = null;
    t.stream = null;
  }

  function decorate(t) {
    const cam = t.cam;
    const up = UP.has(cam.state);
    t.node.classList.toggle("down", !up);
    clear(t.bar, el("span", { class: "tile-name" }, cam.name || cam.camera_id), stateBadge(cam.state, cam.reason),
      cam.state === "degraded" && cam.reason ? el("span", { class: "tile-reason", "data-testid": "tile-reason" }, cam.reason) : "",
      el("span", { class: "tile-fps", title: "frames per second received" }, `${(cam.input_fps ?? 0).toFixed(1)} fps`));
    if (t.overlay) { t.overlay.remove(); t.overlay = null; }
    if (!up) {
      stopPlayer(t);
      const last = t.lastFrameAt || cam.last_frame_at;
      const framed = t.video.videoWidth > 0 && !t.snapshot; // the last frame stays visible under it
      t.overlay = el("div", { class: framed ? "tile-offline framed" : "tile-offline", "data-testid": "tile-offline" },
        el("strong", {}, `✖ ${String(cam.state).toUpperCase()}`),
        el("span", {}, last ? `last frame ${fmtDateTime(last)} (${fmtAgo(last)})` : "no frames received"),
        cam.last_error ? el("span", { class: "meta" }, cam.last_error) : "");
      t.node.insertBefore(t.overlay, t.bar);
    } else {
      play(t, enlarged === cam.camera_id ? "main" : "detect");
    }
  }

  function render() {
    for (const b of layoutButtons) b.classList.toggle("active", Number(b.dataset.layout) === side);
    grid.style.gridTemplateColumns = `repeat(${side}, 1fr)`;
    grid.dataset.layout = `${side}x${side}`;
    const all = [...cams.values()];
    const per = side * side;
    const pages = Math.max(1, Math.ceil(all.length / per));
    page = Math.min(page, pages - 1);
    const shown = all.slice(page * per, page * per + per);
    clear(pager, pages > 1 ? el("span", {},
      el("button", { type: "button", class: "btn", onclick: () => { page = (page + pages - 1) % pages; render(); } }, "‹"),
      ` ${page + 1}/${pages} `,
      el("button", { type: "button", class: "btn", onclick: () => { page = (page + 1) % pages; render(); } }, "›")) : "");
    const keep = new Set(shown.map((c) => c.camera_id));
    for (const [id, t] of tiles) if (!keep.has(id)) { stopPlayer(t); t.node.remove(); tiles.delete(id); }
    clear(grid);
    if (!all.length) grid.append(el("div", { class: "empty" }, only ? "No covering camera you may see." : "No cameras configured."));
    for (const cam of shown) {
      let t = tiles.get(cam.camera_id);
      if (!t) { t = makeTile(cam); tiles.set(cam.camera_id, t); }
      t.cam = cam;
      grid.append(t.node);
      decorate(t);
    }
    count();
  }

  function count() {
    const all = [...cams.values()];
    const up = all.filter((c) => UP.has(c.state)).length;
    summary.textContent = `${up} of ${all.length} camera(s) up`;
  }

  function refreshSnapshot(t) {
    if (!t.snapshot || t.loading || !UP.has(t.cam.state)) return;
    t.loading = true;
    const next = new Image();
    next.onload = () => { t.image.src = next.src; t.loading = false; };
    next.onerror = () => { t.loading = false; };
    next.src = `/api/cameras/${encodeURIComponent(t.cam.camera_id)}/snapshot.jpg?t=${Date.now()}`;
  }

  function toggle(id) {
    const t = tiles.get(id);
    if (!t) return;
    const open = enlarged !== id;
    if (enlarged && enlarged !== id) toggle(enlarged);
    enlarged = open ? id : null;
    t.node.classList.toggle("enlarged", open);
    if (UP.has(t.cam.state)) play(t, open ? "main" : "detect");
  }

  async function loadAlert() {
    const d = await api.get(`/api/gunshots/${encodeURIComponent(source)}/${encodeURIComponent(alertId)}`);
    only = new Set(d.bookmarks.map((b) => b.camera_id));
    side = sideFor(only.size);
    clear(alertBox, alertBanner(source, alertId, d));
  }

  async function load() {
    try {
      if (forAlert && !only) await loadAlert();
      if (stopped) return;
      const list = (await api.get("/api/cameras")).filter((c) => !only || only.has(c.camera_id));
      const known = list.every((c) => cams.has(c.camera_id)) && list.length === cams.size;
      for (const c of list) { ctx.cameras.set(c.camera_id, c); cams.set(c.camera_id, { ...(cams.get(c.camera_id) || {}), ...c }); }
      if (!known || !grid.childElementCount) render();
      else for (const t of tiles.values()) { t.cam = cams.get(t.cam.camera_id); decorate(t); }
    } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
  }

  const off = ctx.live.on(EVENTS.CAMERA_STATUS, (m) => {
    if (stopped || (only && !only.has(m.camera_id)) || (forAlert && !only)) return;
    cams.set(m.camera_id, { ...(cams.get(m.camera_id) || {}), ...m });
    const t = tiles.get(m.camera_id);
    if (t) { t.cam = cams.get(m.camera_id); decorate(t); count(); } else render();
  });
  const timer = setInterval(() => tiles.forEach(refreshSnapshot), SNAPSHOT_MS);
  const slow = setInterval(load, 10_000);
  const onKey = (ev) => { if (ev.key === "Escape" && enlarged) toggle(enlarged); };
  document.addEventListener("keydown", onKey);
  load();
  return () => {
    stopped = true; off(); clearInterval(timer); clearInterval(slow);
    document.removeEventListener("keydown", onKey);
    for (const t of tiles.values()) stopPlayer(t);
  };
}
