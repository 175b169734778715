// The map's side panel for one gunshot alert: its versions, the covering cameras as a live wall
// with their bookmarked recording windows, the plate reads nearby as a count (the plates only
// after a stated purpose and case number, like any search), and what the alert led to.

import { api, query } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

export async function gunshotPanel(side, { source, alertId, perms, onLoaded }) {
  const base = `/api/gunshots/${encodeURIComponent(source)}/${encodeURIComponent(alertId)}`;
  clear(side, el("p", { class: "muted" }, "loading alert…"));
  let d;
  try { d = await api.get(base); } catch (err) { toast(`Alert: ${err.message}`, "error"); return; }
  const a = d.alert;
  onLoaded(a);
  const wall = el("div", { class: "map-wall", "data-testid": "gunshot-wall" }, d.bookmarks.map((b) =>
    el("figure", { class: "tile" },
      perms.has("video:live") ? el("img", { alt: `live view ${b.camera_id}`,
        src: `/api/cameras/${encodeURIComponent(b.camera_id)}/snapshot.jpg?t=${Date.now()}` }) : "",
      el("figcaption", { class: "tile-bar" }, `${b.camera_id} · ${Math.round(b.distance_m)} m · ` +
        `recording kept ${fmtDateTime(b.start_at)} – ${fmtDateTime(b.end_at)}`))));
  const readsBox = el("div", { "data-testid": "gunshot-reads" },
    el("p", {}, el("strong", { "data-testid": "reads-near-count" }, String(d.reads_near.count)),
      ` plate read(s) within ${Math.round(d.reads_near.radius_m)} m, ${fmtDateTime(d.reads_near.start)} – ${fmtDateTime(d.reads_near.end)}.`));
  if (perms.has("reads:search") && d.reads_near.count) readsBox.append(purposeForm(base, readsBox));
  clear(side,
    el("h3", {}, "Gunshot alert"),
    el("div", { class: "gunshot-head", "data-testid": "gunshot-detail" },
      el("strong", {}, `${a.alert_type.replace("_", " ").toUpperCase()} · ${a.rounds ?? "?"} rounds`),
      el("div", {}, a.address || `${a.latitude.toFixed(5)}, ${a.longitude.toFixed(5)}`),
      el("div", { class: "muted" }, `${fmtDateTime(a.detected_at)} · ${source} ${alertId} · version ${a.version} of ${d.versions.length}`)),
    el("h3", {}, `Covering cameras (${d.bookmarks.length})`),
    d.bookmarks.length ? wall : el("p", { class: "muted" }, "No camera sees this spot."),
    el("h3", {}, "Plate reads nearby"), readsBox,
    el("h3", {}, "Outcome"), outcomeBox(base, d.outcomes, perms));
}

function purposeForm(base, box) {
  // The same purpose policy as Search: configured purposes only (prohibited ones not offered).
  const purpose = el("select", { name: "purpose", required: true }, el("option", { value: "" }, "Choose the purpose…"));
  api.get("/api/oversight/purposes").then((cfg) => {
    for (const code of cfg.purposes) purpose.append(el("option", { value: code }, code.replaceAll("_", " ")));
  }).catch((err) => toast(`Purposes: ${err.message}`, "error"));
  const reason = el("input", { name: "reason", placeholder: "Reason (why you need the plates)", required: true });
  const caseNo = el("input", { name: "case_number", placeholder: "Case number", required: true });
  const form = el("form", { class: "stack", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await api.get(`${base}/reads${query({ purpose: purpose.value, reason: reason.value, case_number: caseNo.value })}`);
      clear(box, el("ul", { class: "plain", "data-testid": "reads-near-list" },
        r.items.map((x) => el("li", {}, `${x.plate} · ${x.camera_id} · ${fmtDateTime(x.observed_at)}`))),
      el("p", { class: "fine" }, `Search recorded for case ${r.case_number}.`));
    } catch (err) { toast(err.message, "error"); }
  } }, purpose, reason, caseNo, el("button", { class: "btn", type: "submit" }, "Show plates (audited)"));
  return form;
}

function outcomeBox(base, outcomes, perms) {
  const list = el("ul", { class: "plain" }, outcomes.map((o) => el("li", {},
    `${o.evidence_found ? "Evidence found" : "No evidence"}${o.case_number ? ` · case ${o.case_number}` : ""} · ${o.recorded_by} · ${fmtDateTime(o.recorded_at)}`)));
  if (!perms.has("gunshots:act")) return list;
  const found = el("select", { name: "evidence_found" }, el("option", { value: "true" }, "Evidence found"),
    el("option", { value: "false" }, "No evidence found"));
  const caseNo = el("input", { name: "case_number", placeholder: "Case number (optional)" });
  const form = el("form", { class: "stack", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const o = await api.post(`${base}/outcome`, { evidence_found: found.value === "true", case_number: caseNo.value || null });
      list.append(el("li", {}, `${o.evidence_found ? "Evidence found" : "No evidence"} · ${o.recorded_by}`));
      toast("Outcome recorded", "info");
    } catch (err) { toast(err.message, "error"); }
  } }, found, caseNo, el("button", { class: "btn", type: "submit" }, "Record outcome"));
  return el("div", {}, list, form);
}
