// The audible alert (WebAudio, no sound file) and the prominent hit banner.

import { $, clear, el, fmtTime, priorityBadge, priorityLabel } from "./dom.js";

let ctx = null;
let muted = localStorage.getItem("rtcc.muted") === "1";

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
  if (muted || !ctx) return;
  const high = priority >= 80;
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

const shown = [];

/** Show (or stack) a banner for a new hit; `open(hit)` takes the user to it. */
export function showHitBanner(hit, { open }) {
  beep(hit.priority);
  const idx = shown.findIndex((h) => h.id === hit.id);
  if (idx >= 0) shown.splice(idx, 1);
  shown.unshift(hit);
  render(open);
}

export function dismissBanner(id, open) {
  const idx = shown.findIndex((h) => h.id === id);
  if (idx >= 0) shown.splice(idx, 1);
  render(open);
}

function render(open) {
  const host = $("#hit-banner");
  if (!shown.length) { host.hidden = true; clear(host); return; }
  const hit = shown[0];
  const { cls } = priorityLabel(hit.priority ?? 0);
  host.hidden = false;
  host.className = `hit-banner ${cls}`;
  clear(host,
    el("div", { class: "hb-icon", "aria-hidden": "true" }, "⚠"),
    el("div", { class: "hb-main" },
      el("div", { class: "hb-title" }, "HOTLIST HIT ", priorityBadge(hit.priority)),
      el("div", { class: "hb-plate", "data-testid": "banner-plate" }, hit.plate),
      el("div", { class: "hb-meta" },
        `${hit.hotlist || "hotlist"} · ${hit.reason || "no reason given"} · ${hit.camera_id} · ${fmtTime(hit.observed_at)}`,
        hit.needs_confirmation ? el("strong", { class: "needs-confirm" }, " · NEEDS VISUAL CONFIRMATION") : ""),
    ),
    el("div", { class: "hb-actions" },
      shown.length > 1 ? el("span", { class: "hb-more" }, `+${shown.length - 1} more`) : "",
      el("button", { class: "btn btn-primary", onclick: () => { dismissBanner(hit.id, open); open(hit); } }, "Open hit"),
      el("button", { class: "btn", "aria-label": "dismiss banner", onclick: () => dismissBanner(hit.id, open) }, "Dismiss"),
    ));
}

export function clearBanners(open) { shown.length = 0; render(open); }
