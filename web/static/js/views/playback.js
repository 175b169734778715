// Playback of recorded video on a timeline: up to 4 cameras in sync, coverage with gaps, reads
// and hits as markers, play/pause, scrub, 1–8× speed, frame step. Opened from a read, a hit or a
// search result at a moment (#/playback/<camera>/<ISO time>[/hit|read/<id>]); that opening is
// recorded in the audit trail as a view.

import { api } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";
import { SegmentPlayer, mseSupported } from "../msevideo.js";
import { canExport, openExport } from "./evidence.js";

const MAX_CAMERAS = 4;
const AROUND_MS = 10 * 60_000; // the window around a moment
const DEFAULT_MS = 60 * 60_000; // without a moment: the last hour
const SPEEDS = [1, 2, 4, 8];
const SYNC_S = 0.25; // a follower further off than this is re-synced
const FRAME_S = 1 / 15; // until a frame callback tells the real frame interval

/** The hash that opens playback of `cameraId` at `at` (ISO), from a read or a hit. */
export function playbackHash(cameraId, at, { hitId, readId } = {}) {
  const tail = hitId ? `/hit/${hitId}` : readId ? `/read/${readId}` : "";
  return `#/playback/${encodeURIComponent(cameraId)}/${encodeURIComponent(at)}${tail}`;
}

/** Whether the signed-in user may open recorded video. */
export function canPlay(ctx) { return (ctx.user?.permissions || []).includes("video:segments"); }

/** A "video at this moment" link for a read or hit row. */
export function videoLink(cameraId, at, ids = {}) {
  return el("a", { class: "btn", href: playbackHash(cameraId, at, ids), "data-testid": "video-at",
    title: "recorded video at this moment (audited)" }, "▶ Video");
}

export function mount(host, ctx, rest = []) {
  if (!mseSupported()) {
    host.append(el("div", { class: "empty" }, "This browser cannot play recorded video (Media Source Extensions with H.264)."));
    return null;
  }
  const [camParam, atParam, kind, idParam] = rest.map((x) => decodeURIComponent(x || ""));
  const at = atParam ? Date.parse(atParam) : NaN;
  const now = Date.now();
  const start = Number.isNaN(at) ? now - DEFAULT_MS : at - AROUND_MS;
  const end = Number.isNaN(at) ? now : Math.min(now, at + AROUND_MS);
  const selected = camParam ? [camParam] : [];
  const views = []; // { cameraId, video, player, line, timeline }
  let frameS = FRAME_S;
  let measuredFrameS = Infinity;  // the smallest gap between presented frames so far
  let stopped = false;

  const videos = el("div", { class: "pb-videos" });
  const lines = el("div", { class: "pb-lines" });
  const clock = el("span", { class: "pb-clock", "data-testid": "pb-clock" }, "—");
  const playBtn = el("button", { type: "button", class: "btn", "data-testid": "pb-play", onclick: () => toggle() }, "▶ Play");
  const speed = el("select", { "data-testid": "pb-speed", onchange: () => views.forEach((v) => { v.video.playbackRate = Number(speed.value); }) },
    ...SPEEDS.map((s) => el("option", { value: s }, `${s}×`)));
  const picker = el("span", { class: "pb-picker" });
  host.append(el("section", { class: "playback", "data-testid": "playback" },
    el("div", { class: "pane-head" }, el("h2", {}, "Playback"),
      el("span", { class: "muted" }, `${fmtDateTime(new Date(start).toISOString())} – ${fmtDateTime(new Date(end).toISOString())}`), picker),
    videos,
    el("div", { class: "pb-controls" }, playBtn,
      el("button", { type: "button", class: "btn", title: "previous frame", "data-testid": "pb-back", onclick: () => step(-1) }, "◀|"),
      el("button", { type: "button", class: "btn", title: "next frame", "data-testid": "pb-fwd", onclick: () => step(1) }, "|▶"),
      speed, clock, ...selectionControls()),
    lines));

  // A selection (mark in, mark out at the playback clock) exports as evidence for these cameras.
  let markIn = null;
  let markOut = null;
  function selectionControls() {
    if (!canExport(ctx.user)) return [];
    const label = el("span", { class: "muted", "data-testid": "pb-selection" }, "no selection");
    const show = () => {
      const fmt = (ms) => fmtDateTime(new Date(ms).toISOString());
      label.textContent = markIn === null ? "no selection"
        : `selection ${fmt(markIn)} – ${markOut === null ? "…" : fmt(markOut)}`;
    };
    const mark = (which) => {
      const at = start + (master()?.currentTime || 0) * 1000;
      if (which === "in") { markIn = at; if (markOut !== null && markOut <= at) markOut = null; }
      else if (markIn !== null && at > markIn) markOut = at;
      else { toast("Mark the start of the selection first, then a later end.", "error"); return; }
      show();
    };
    const exportSelection = () => {
      if (markIn === null || markOut === null) { toast("Mark in and mark out first.", "error"); return; }
      openExport({ camera_ids: views.map((v) => v.cameraId), start: new Date(markIn).toISOString(),
        end: new Date(markOut).toISOString() }).catch((err) => toast(err.message, "error"));
    };
    return [
      el("button", { type: "button", class: "btn", title: "selection starts here", "data-testid": "pb-in", onclick: () => mark("in") }, "[ In"),
      el("button", { type: "button", class: "btn", title: "selection ends here", "data-testid": "pb-out", onclick: () => mark("out") }, "Out ]"),
      label,
      el("button", { type: "button", class: "btn btn-primary", "data-testid": "pb-export", onclick: exportSelection }, "Export evidence…"),
    ];
  }

  const master = () => views[0]?.video;
  const pct = (ms) => `${(100 * (ms - start)) / (end - start)}%`;

  function toggle() {
    const m = master();
    if (!m) return;
    if (m.paused) views.forEach((v) => v.video.play().catch(() => {}));
    else views.forEach((v) => v.video.pause());
  }

  function step(dir) {
    views.forEach((v) => v.video.pause());
    // From the frame on screen (its presentation time, when the browser tells it) to the middle
    // of its neighbour: a seek to exactly a frame's start can round below it and show the frame
    // before (a step of two frames).
    const t = master()?.currentTime || 0;
    const shown = views[0]?.shown;
    const onFrame = shown != null && t >= shown - 0.001 && t < shown + frameS;
    const target = (onFrame ? shown + frameS / 2 : t + 0.001) + dir * frameS;
    seekAll(Math.max(0, target));
  }

  async function seekAll(t) {
    await Promise.all(views.map((v) => v.player.seek(t).catch((err) => toast(`Video: ${err.message}`, "error"))));
  }

  function drawLine(view, timeline) {
    const bar = el("div", { class: "pb-line", "data-camera": view.cameraId, "data-testid": "pb-line",
      onclick: (ev) => {
        const box = bar.getBoundingClientRect();
        seekAll(((ev.clientX - box.left) / box.width) * (end - start) / 1000);
      } }, el("span", { class: "label" }, view.cameraId));
    for (const s of timeline.segments) {
      const a = Math.max(start, Date.parse(s.start_at));
      const b = Math.min(end, Date.parse(s.end_at));
      bar.append(el("div", { class: "seg", style: `left:${pct(a)};width:${pct(start + b - a)}` }));
    }
    for (const g of timeline.gaps) {
      const a = Date.parse(g.start);
      bar.append(el("div", { class: "gap", title: g.reason || "no video", style: `left:${pct(a)};width:${pct(start + Date.parse(g.end) - a)}` }));
    }
    for (const m of timeline.markers) {
      bar.append(el("div", { class: `mark ${m.kind}`, title: `${m.kind} ${m.id} at ${fmtDateTime(m.at)}`, "data-kind": m.kind,
        style: `left:${pct(Date.parse(m.at))}`,
        onclick: (ev) => { ev.stopPropagation(); seekAll((Date.parse(m.at) - start) / 1000); } }));
    }
    view.cursor = el("div", { class: "cursor" });
    bar.append(view.cursor);
    return bar;
  }

  async function addCamera(cameraId) {
    const timeline = await api.get(`/api/video/${encodeURIComponent(cameraId)}/timeline`,
      { start: new Date(start).toISOString(), end: new Date(end).toISOString() });
    const video = el("video", { muted: true, playsinline: true, "data-camera": cameraId, "data-testid": "pb-video" });
    video.muted = true;
    const player = new SegmentPlayer(video, start);
    player.setSegments(timeline.segments);
    const view = { cameraId, video, player, shown: null };
    views.push(view);
    videos.append(el("figure", { class: "pb-tile" }, video, el("figcaption", {}, cameraId)));
    lines.append(drawLine(view, timeline));
    video.addEventListener("play", () => { playBtn.textContent = "❚❚ Pause"; });
    video.addEventListener("pause", () => { playBtn.textContent = "▶ Play"; });
    if ("requestVideoFrameCallback" in video) {
      let last = null;
      const onFrame = (_, meta) => {
        // The frame duration is the smallest gap between frames presented: a busy browser
        // skips frames (a gap of two), never shows one early.
        const gap = last === null ? 0 : meta.mediaTime - last;
        if (gap > 0.001 && gap < 0.5) measuredFrameS = frameS = Math.min(measuredFrameS, gap);
        last = view.shown = meta.mediaTime;
        if (!stopped) video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    return view;
  }

  function sync() {
    const m = master();
    if (!m) return;
    const wall = start + m.currentTime * 1000;
    clock.textContent = fmtDateTime(new Date(wall).toISOString());
    clock.dataset.at = new Date(wall).toISOString();
    for (const v of views) {
      if (v.cursor) v.cursor.style.left = pct(wall);
      if (v.video === m) continue;
      if (Math.abs(v.video.currentTime - m.currentTime) > SYNC_S * m.playbackRate) v.player.seek(m.currentTime).catch(() => {});
      if (m.paused !== v.video.paused) (m.paused ? v.video.pause() : v.video.play().catch(() => {}));
    }
  }

  async function renderPicker() {
    let cams = [];
    try { cams = await api.get("/api/cameras"); } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
    clear(picker, ...cams.map((c) => el("label", { class: "pb-pick" },
      el("input", { type: "checkbox", value: c.camera_id, checked: selected.includes(c.camera_id) ? "" : null,
        onchange: (ev) => onPick(ev.target, c.camera_id) }), ` ${c.name || c.camera_id} `)));
  }

  async function onPick(box, cameraId) {
    if (box.checked) {
      if (views.length >= MAX_CAMERAS) { box.checked = false; toast(`At most ${MAX_CAMERAS} cameras play in sync.`, "error"); return; }
      await addCamera(cameraId);
      await seekAll(master()?.currentTime || 0);
    } else {
      const i = views.findIndex((v) => v.cameraId === cameraId);
      if (i >= 0) { views[i].video.closest("figure").remove(); lines.children[i].remove(); views.splice(i, 1); }
    }
  }

  async function open() {
    renderPicker();
    for (const cameraId of selected) {
      try { await addCamera(cameraId); } catch (err) { toast(`Playback: ${err.message}`, "error"); return; }
    }
    if (!Number.isNaN(at) && camParam) {
      const ids = { hit_id: kind === "hit" ? Number(idParam) : null, read_id: kind === "read" ? Number(idParam) : null };
      try { await api.post(`/api/video/${encodeURIComponent(camParam)}/view`, { at: new Date(at).toISOString(), ...ids }); }
      catch (err) { toast(`Playback: ${err.message}`, "error"); return; }
      await seekAll((at - start) / 1000);
    } else if (views.length) {
      await seekAll(0);
    }
  }

  const timer = setInterval(sync, 200);
  const onKey = (ev) => {
    if (ev.target.closest("input, select, textarea")) return;
    if (ev.key === " ") { ev.preventDefault(); toggle(); }
    else if (ev.key === ",") step(-1);
    else if (ev.key === ".") step(1);
  };
  document.addEventListener("keydown", onKey);
  open();
  return () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("keydown", onKey);
    views.forEach((v) => { v.video.pause(); v.video.removeAttribute("src"); v.video.load(); });
  };
}
