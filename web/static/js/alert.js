// The audible alert (WebAudio, no sound file) and the prominent hit banner.
//
// One car is one alert: hits raised by the same read (a car on several lists) share a banner
// that names every list. A hit that someone handles (on any console) leaves its banner. A
// high-priority hit nobody has acknowledged repeats its sound until it is acknowledged.

import { cameraName } from "./cameranames.js";
import { $, clear, el, fmtTime, priorityBadge, priorityLabel } from "./dom.js";

export const HIGH_PRIORITY = 80;
export const REPEAT_MS = 5000;

let ctx = null;
let muted = localStorage.getItem("rtcc.muted") === "1";
let beeps = 0;

export function isMuted() { return muted; }
export function setMuted(value) {
  muted = value;
  localStorage.setItem("rtcc.muted", value ? "1" : "0");
}

/** Browsers allow audio after a user gesture; the login click unlocks it. */
export function unlockAudio() {
  try {
    ctx = ctx || new (window.AudioContext || window.webkitAudioContext)();
    if (ctx.state === "suspended") ctx.resume();
  } catch { ctx = null; }
}

export function beep(priority = 50) {
  if (muted) return;
  beeps += 1;
  document.documentElement.dataset.alertBeeps = String(beeps);  // for tests and diagnostics
  if (!ctx) return;
  const high = priority >= HIGH_PRIORITY;
  const tones = high ? [880, 660, 880, 660] : [740, 740];
  let t = ctx.currentTime + 0.02;
  for (const freq of tones) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.18, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.18);
    t += 0.2;
  }
}

// Banners, most urgent then newest first: each is one car ({ key, hits: [hit, ...] }).
const shown = [];
// High-priority hits not yet acknowledged: their sound repeats.
const loud = new Map();
let repeater = null;

/** The car a hit belongs to: hits of the same read are the same car passing once. */
function carKey(hit) {
  return hit.read_id ? `${hit.camera_id}|${hit.read_id}` : `hit|${hit.id}`;
}

/** Show a banner for a hit, or add the hit to its car's banner; `open(hit)` takes the user to it. */
export function showHitBanner(hit, { open }) {
  const key = carKey(hit);
  let car = shown.find((c) => c.key === key);
  const fresh = !car;
  if (car) shown.splice(shown.indexOf(car), 1);
  else car = { key, hits: [] };
  car.hits = [...car.hits.filter((h) => h.id !== hit.id), hit]
    .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
  shown.unshift(car);
  // the most urgent car on top; among equals, the newest (the sort is stable)
  shown.sort((a, b) => (b.hits[0].priority ?? 0) - (a.hits[0].priority ?? 0));
  if (fresh) beep(hit.priority);  // one car, one sound (however many lists it is on)
  if ((hit.priority ?? 0) >= HIGH_PRIORITY && hit.status === "new") {
    loud.set(hit.id, hit.priority);
    startRepeating();
  }
  render(open);
}

/** A hit was handled (acknowledged, confirmed or rejected) here or on another console. */
export function hitHandled(hit, open) {
  loud.delete(hit.id);
  if (!loud.size) stopRepeating();
  for (const car of [...shown]) {
    car.hits = car.hits.filter((h) => h.id !== hit.id);
    if (!car.hits.length) shown.splice(shown.indexOf(car), 1);
  }
  render(open);
}

/** Hide a car's banner (its sound keeps repeating until a high-priority hit is acknowledged). */
export function dismissBanner(id, open) {
  const idx = shown.findIndex((c) => c.hits.some((h) => h.id === id));
  if (idx >= 0) shown.splice(idx, 1);
  render(open);
}

function startRepeating() {
  if (repeater) return;
  repeater = setInterval(() => {
    if (!loud.size) { stopRepeating(); return; }
    beep(Math.max(...loud.values()));
  }, REPEAT_MS);
}

function stopRepeating() {
  if (repeater) clearInterval(repeater);
  repeater = null;
}

function render(open) {
  const host = $("#hit-banner");
  if (!shown.length) { host.hidden = true; clear(host); return; }
  const car = shown[0];
  const hit = car.hits[0];  // the highest priority of the car's hits
  const lists = [...new Set(car.hits.map((h) => h.hotlist || "hotlist"))];
  const reasons = [...new Set(car.hits.map((h) => h.reason).filter(Boolean))];
  const { cls } = priorityLabel(hit.priority ?? 0);
  host.hidden = false;
  host.className = `hit-banner ${cls}`;
  host.dataset.hitIds = car.hits.map((h) => h.id).join(",");
  clear(host,
    el("div", { class: "hb-icon", "aria-hidden": "true" }, "⚠"),
    el("div", { class: "hb-main" },
      el("div", { class: "hb-title" }, "HOTLIST HIT ", priorityBadge(hit.priority),
        hit.historical ? el("span", { class: "badge" }, " HISTORICAL") : ""),
      el("div", { class: "hb-plate", "data-testid": "banner-plate" }, hit.plate),
      el("div", { class: "hb-lists", "data-testid": "banner-lists" },
        lists.length > 1 ? `${lists.length} lists: ${lists.join(" · ")}` : lists[0]),
      el("div", { class: "hb-meta" },
        `${reasons.join(" · ") || "no reason given"} · ${cameraName(hit.camera_id)} · ${fmtTime(hit.observed_at)}`,
        car.hits.some((h) => h.needs_confirmation) ? el("strong", { class: "needs-confirm" }, " · NEEDS VISUAL CONFIRMATION") : ""),
    ),
    el("div", { class: "hb-actions" },
      shown.length > 1 ? el("span", { class: "hb-more" }, `+${shown.length - 1} more`) : "",
      el("button", { class: "btn btn-primary", onclick: () => { dismissBanner(hit.id, open); open(hit); } }, "Open hit"),
      el("button", { class: "btn", "aria-label": "dismiss banner", onclick: () => dismissBanner(hit.id, open) }, "Dismiss"),
    ));
}

export function clearBanners(open) {
  shown.length = 0;
  loud.clear();
  stopRepeating();
  render(open);
}
