// Camera health that never lies, for whoever is looking at a camera:
// - a distinct falling two-tone sound when a camera on screen goes down (offline, error,
//   failed), different from the hit alert;
// - a tile whose newest frame is older than STALE_S (or whose server is unreachable) says so
//   on the tile instead of showing a frozen picture as live.
// "On screen" means the current view shows an element with that camera's data-camera.

import { isMuted } from "./alert.js";
import { EVENTS } from "./events.js";
import { fmtTime } from "./dom.js";

export const STALE_S = 5;
const DOWN = new Set(["offline", "error", "failed"]);
let audio = null;
let sounds = 0;

function watching(cameraId) {
  return [...document.querySelectorAll("#view [data-camera]")].some((n) => n.dataset.camera === cameraId);
}

/** The offline sound: two falling sine tones (the hit alert is square and rising). */
export function offlineSound() {
  if (isMuted()) return;
  sounds += 1;
  document.documentElement.dataset.offlineSounds = String(sounds); // for tests and diagnostics
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
  } catch { return; }
  let t = audio.currentTime + 0.02;
  for (const freq of [523, 392, 262]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.32);
    t += 0.28;
  }
}

/** Sound when a watched camera goes from up (or unknown) to down. `known` maps id -> camera. */
export function watchCameras(live, known) {
  return live.on(EVENTS.CAMERA_STATUS, (m) => {
    const before = known.get(m.camera_id)?.state;
    if (DOWN.has(m.state) && !DOWN.has(before) && watching(m.camera_id)) offlineSound();
  });
}

const progress = new WeakMap(); // tile -> { marker, at }

function marker(tile) {
  const v = tile.querySelector("video");
  const i = tile.querySelector("img");
  return `${v && !v.hidden ? v.currentTime : ""}|${i && !i.hidden ? i.currentSrc || i.src : ""}`;
}

function checkTile(tile, now, serverDown) {
  const seen = progress.get(tile);
  const m = marker(tile);
  if (!seen || seen.marker !== m) progress.set(tile, { marker: m, at: now });
  const since = progress.get(tile).at;
  const age = Math.round((now - since) / 1000);
  const down = !!tile.querySelector("[data-testid=tile-offline]");
  const stale = !down && (serverDown || age >= STALE_S);
  let label = tile.querySelector(".tile-stale");
  tile.dataset.stale = stale ? "1" : "";
  if (!stale) { if (label) label.remove(); return; }
  if (!label) {
    label = document.createElement("div");
    label.className = "tile-stale";
    label.dataset.testid = "tile-stale";
    tile.insertBefore(label, tile.querySelector("figcaption"));
  }
  label.textContent = serverDown
    ? `◐ SERVER UNREACHABLE — picture frozen since ${fmtTime(new Date(since).toISOString())}`
    : `◐ STALE — newest frame ${age} s old`;
}

/** Check every wall tile once a second; returns a stop function. */
export function watchTiles() {
  const timer = setInterval(() => {
    const conn = document.getElementById("conn");
    const serverDown = !!conn && conn.dataset.state !== "live";
    const now = Date.now();
    for (const tile of document.querySelectorAll("#view figure.tile[data-camera]")) checkTile(tile, now, serverDown);
  }, 1000);
  return () => clearInterval(timer);
}
