// The console-wide gunshot alert: a sound and a banner with the alert and its covering cameras;
// "Open" shows it on the map with the covering cameras' live wall. For a user who may watch live
// video, a new alert opens its covering cameras on the live wall at once (`openWall`), unless a
// dialog is open (an officer mid-confirmation keeps their focus): then the banner offers it.

import { beep } from "./alert.js";
import { el, fmtTime } from "./dom.js";

/** Whether to open the wall now; false while any modal dialog (a hit confirmation) is open. */
function mayTakeFocus() { return !document.querySelector("dialog[open]"); }

export function showGunshotAlert(g, { open, openWall = null }) {
  const wall = openWall && g.covering.length ? openWall : null;
  const auto = wall && g.version === 1 && mayTakeFocus();
  beep(95);
  document.querySelector("#gunshot-banner")?.remove();
  const close = () => banner.remove();
  const banner = el("div", { id: "gunshot-banner", class: "hit-banner prio-high gunshot-banner", role: "alert",
    "data-testid": "gunshot-banner" },
  el("div", { class: "hb-icon", "aria-hidden": "true" }, "◎"),
  el("div", { class: "hb-main" },
    el("div", { class: "hb-title" }, `SHOTS DETECTED · ${g.alert_type.replace("_", " ").toUpperCase()}`),
    el("div", { class: "hb-plate" }, g.address || `${g.latitude.toFixed(5)}, ${g.longitude.toFixed(5)}`),
    el("div", { class: "hb-meta" }, `${g.rounds ?? "?"} round(s) · ${fmtTime(g.detected_at)} · ` +
      `${g.covering.length} covering camera(s)${g.version > 1 ? ` · update ${g.version}` : ""}`)),
  el("div", { class: "hb-actions" },
    wall && !auto ? el("button", { class: "btn btn-primary", "data-testid": "gunshot-open-wall",
      onclick: () => wall(g) }, "Open covering cameras") : "",
    el("button", { class: "btn btn-primary", onclick: () => { close(); open(g); } }, "Open on map"),
    el("button", { class: "btn", "aria-label": "dismiss gunshot alert", onclick: close }, "Dismiss")));
  document.querySelector("#app")?.insertBefore(banner, document.querySelector("#view"));
  if (auto) wall(g);
}
