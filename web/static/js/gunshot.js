// The console-wide gunshot alert: a sound and a banner with the alert and its covering cameras;
// "Open" shows it on the map with the covering cameras' live wall.

import { beep } from "./alert.js";
import { el, fmtTime } from "./dom.js";

export function showGunshotAlert(g, { open }) {
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
    el("button", { class: "btn btn-primary", onclick: () => { close(); open(g); } }, "Open on map"),
    el("button", { class: "btn", "aria-label": "dismiss gunshot alert", onclick: close }, "Dismiss")));
  document.querySelector("#app")?.insertBefore(banner, document.querySelector("#view"));
}
