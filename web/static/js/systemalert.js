// System alerts (`system_alert` events): one banner per kind (and camera node, `origin`) while
// the condition lasts — the database unreachable (reads wait on the server), storage degraded,
// a retention run refused — removed when the server says it has cleared (`active: false`). A
// repeated alert updates its banner in place. On every (re)connection `reconcile` asks
// /api/health, so a banner whose clearing was missed while the console was disconnected goes too.

import { beep } from "./alert.js";
import { el, fmtTime } from "./dom.js";

const DATABASE = "database_unreachable";

// One banner per kind and place: a camera node's alert (`origin`) is not the API host's.
function keyOf(a) {
  return a.origin ? `${a.kind}@${a.origin}` : a.kind;
}

function bannerOf(key) {
  return document.querySelector(`.system-banner[data-kind="${CSS.escape(key)}"]`);
}

function details(a) {
  return `since ${fmtTime(a.since)}${a.queued != null ? ` · ${a.queued} waiting on the server` : ""}`;
}

/** Show, update or remove the banner of `a.kind`. */
export function showSystemAlert(a) {
  const existing = bannerOf(keyOf(a));
  if (!a.active) { existing?.remove(); return; }
  const text = el("div", { class: "sys-message" }, a.message);
  const meta = el("div", { class: "hb-meta" }, details(a));
  if (existing) {
    existing.querySelector(".sys-message").replaceWith(text);
    existing.querySelector(".hb-meta").replaceWith(meta);
    return;
  }
  const banner = el("div", { class: `hit-banner system-banner sev-${a.severity}`, role: "alert",
    "data-kind": keyOf(a), "data-testid": "system-alert" },
  el("div", { class: "hb-icon", "aria-hidden": "true" }, "⚠"),
  el("div", { class: "hb-main" },
    el("div", { class: "hb-title" }, `SYSTEM · ${a.kind.replaceAll("_", " ").toUpperCase()}${a.origin ? ` · ${a.origin.toUpperCase()}` : ""}`),
    text, meta),
  el("div", { class: "hb-actions" },
    el("button", { class: "btn", "aria-label": "hide this system alert", onclick: () => banner.remove() }, "Hide")));
  if (a.severity === "critical") beep(60);
  document.querySelector("#app")?.insertBefore(banner, document.querySelector("#view"));
}

/** After a (re)connection: drop the database banner if /api/health says it is reachable. */
export function reconcile(health) {
  if (health?.database && health.database !== "unreachable") bannerOf(DATABASE)?.remove();
}

/** Signed out: no banner stays behind for the next user. */
export function clearSystemAlerts() {
  for (const b of document.querySelectorAll(".system-banner")) b.remove();
}
