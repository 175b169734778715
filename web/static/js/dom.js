// Small DOM helpers shared by every view (no framework: plain elements and text nodes).

import { tzLabel, tzOptions } from "./timezone.js";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** el("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    // Through the CSSOM: the Content-Security-Policy (style-src 'self') blocks style attributes.
    else if (k === "style") node.style.cssText = String(v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A time of day in the console's zone (local or UTC; the top bar clock names it). */
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, ...tzOptions() });
}

/** Date and time with the zone's label ("2026-03-01 14:02:11 UTC"). */
export function fmtDateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const date = d.toLocaleDateString([], { year: "numeric", month: "2-digit", day: "2-digit", ...tzOptions() });
  return `${date} ${fmtTime(iso)} ${tzLabel(d)}`;
}

export function fmtAgo(iso, now = Date.now()) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function fmtDuration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

/** Priority as words as well as colour: colour is never the only signal. */
export function priorityLabel(p) {
  if (p >= 80) return { word: "HIGH", cls: "prio-high" };
  if (p >= 50) return { word: "MEDIUM", cls: "prio-med" };
  return { word: "LOW", cls: "prio-low" };
}

export function priorityBadge(p) {
  const { word, cls } = priorityLabel(p ?? 0);
  return el("span", { class: `badge ${cls}`, title: `priority ${p}` }, `${word} · P${p ?? 0}`);
}

// Every camera state the server emits (rtcc.vocab.CameraState, served at /api/meta and
// checked by tests/web/test_roles_views.py) plus the console's own "stale" and "unknown".
export const STATE_ICONS = Object.freeze({
  online: "●", degraded: "◑", starting: "◌", offline: "○", error: "▲", failed: "✖", stale: "◐", unknown: "?",
});

export function stateBadge(state, reason) {
  const s = state || "unknown";
  const icon = STATE_ICONS[s] || "?";
  return el("span", { class: `badge state state-${s}`, "data-state": s, title: reason || null }, `${icon} ${s.toUpperCase()}`);
}

export function img(src, alt, cls = "") {
  if (!src) return el("div", { class: `noimg ${cls}` }, "no image");
  return el("img", { src, alt, class: cls, loading: "lazy", decoding: "async" });
}

/** A plate as characters; positions in `diffs` are highlighted (and underlined for no-colour). */
export function plateChars(text, diffs = new Set(), cls = "") {
  const chars = [...(text || "")].map((ch, i) =>
    el("span", { class: diffs.has(i) ? "ch diff" : "ch", title: diffs.has(i) ? "differs" : null }, ch));
  return el("span", { class: `plate ${cls}` }, chars);
}

export { toast } from "./toast.js"; // one per message, above any modal

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
