// Legal holds (supervisors, holds:manage): place a hold with its case number, extend it,
// release it. Every change is audited with the case number on the server.

import { api } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";
import { tzLabel } from "../timezone.js";

const PERM = "holds:manage";
const act = (name, attrs, ...kids) => el("button", { type: "button", class: "btn btn-sm", "data-action": name, "data-perm": PERM, ...attrs }, ...kids);
const iso = (local) => (local ? new Date(local).toISOString() : null);

function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function scopeText(h) {
  const s = h.scope || {};
  if (s.item_ids?.length) return `${s.item_ids.length} item(s): ${s.item_ids.slice(0, 5).join(", ")}${s.item_ids.length > 5 ? "…" : ""}`;
  const parts = [s.camera_id ? `camera ${s.camera_id}` : "", s.plate ? `plate ${s.plate}` : "",
    s.start_at || s.end_at ? `${fmtDateTime(s.start_at)} → ${fmtDateTime(s.end_at)}` : ""].filter(Boolean);
  return parts.join(" · ") || "everything in the class";
}

export function mount(host, ctx) {
  const table = el("div", { "data-testid": "holds-table" });
  const showAll = el("input", { type: "checkbox", onchange: () => load() });
  host.append(el("section", { class: "pane" },
    el("div", { class: "pane-head" }, el("h2", {}, "Legal holds"),
      el("label", { class: "check" }, showAll, "Show released and expired"),
      act("hold.create", { class: "btn btn-primary", onclick: () => createDialog() }, "+ Place a hold")), table));
  let meta = null;

  async function load() {
    try {
      meta = meta || await api.get("/api/meta");
      const page = await api.get("/api/retention/holds", { include_inactive: showAll.checked });
      render(page.items);
    } catch (err) { toast(`Holds: ${err.message}`, "error"); }
  }

  function render(holds) {
    clear(table, holds.length ? el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Case", "Data", "Scope", "Reason", "Expires", "Placed", "Status", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, holds.map((h) => el("tr", { "data-hold": h.id },
        el("td", {}, el("strong", {}, h.case_number)), el("td", {}, h.data_class.replaceAll("_", " ")),
        el("td", {}, scopeText(h)), el("td", { class: "wrap" }, h.reason),
        el("td", { class: "nowrap" }, h.expires_at ? fmtDateTime(h.expires_at) : "never"),
        el("td", { class: "meta" }, `${h.created_by} · ${fmtDateTime(h.created_at)}`),
        el("td", {}, h.active ? el("span", { class: "ok-text" }, "● active")
          : h.released_at ? el("span", { class: "muted" }, `released by ${h.released_by} ${fmtDateTime(h.released_at)}`) : el("span", { class: "muted" }, "expired")),
        el("td", { class: "nowrap" }, h.active ? [
          act("hold.extend", { onclick: () => extendDialog(h) }, "Extend…"), " ",
          act("hold.release", { class: "btn btn-sm btn-danger", onclick: () => release(h) }, "Release")] : "")))))
      : el("p", { class: "muted" }, "No legal holds."));
  }

  function dialog(title, body, onOk, okLabel) {
    const dlg = el("dialog", { class: "dlg", "data-testid": "dlg-hold" });
    const form = el("form", { class: "stack" }, el("h2", {}, title), body,
      el("div", { class: "dlg-actions" }, el("button", { type: "button", class: "btn", onclick: () => dlg.close() }, "Cancel"),
        el("button", { type: "submit", class: "btn btn-primary" }, okLabel)));
    form.addEventListener("submit", async (ev) => { ev.preventDefault(); if (await onOk(form)) dlg.close(); });
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  function createDialog() {
    const inYear = localInput(new Date(Date.now() + 365 * 86_400_000));
    const cams = [...ctx.cameras.values()];
    dialog("Place a legal hold", el("div", { class: "form-grid" },
      el("label", {}, "Case number", el("input", { name: "case_number", required: true, maxlength: 64 })),
      el("label", {}, "Data", el("select", { name: "data_class" }, (meta?.hold_classes || []).map((c) => el("option", { value: c }, c.replaceAll("_", " "))))),
      el("label", { class: "wide" }, "Reason", el("input", { name: "reason", required: true })),
      el("label", {}, `Expires (${tzLabel()})`, el("input", { name: "expires_at", type: "datetime-local", value: inYear, required: true })),
      el("label", {}, "Camera (optional)", el("select", { name: "camera_id" }, el("option", { value: "" }, "any camera"),
        cams.map((c) => el("option", { value: c.camera_id }, c.name || c.camera_id)))),
      el("label", {}, "Plate (optional)", el("input", { name: "plate" })),
      el("label", {}, `From (${tzLabel()})`, el("input", { name: "start_at", type: "datetime-local" })),
      el("label", {}, `To (${tzLabel()})`, el("input", { name: "end_at", type: "datetime-local" }))), async (f) => {
      const body = { case_number: f.case_number.value.trim(), reason: f.reason.value.trim(), data_class: f.data_class.value,
        expires_at: iso(f.expires_at.value), camera_id: f.camera_id.value || null, plate: f.plate.value.trim() || null,
        start_at: iso(f.start_at.value), end_at: iso(f.end_at.value) };
      try { await api.post("/api/retention/holds", body); toast(`Hold placed for case ${body.case_number}`, "ok"); load(); return true; } catch (err) { toast(`Hold: ${err.message}`, "error"); return false; }
    }, "Place hold");
  }

  function extendDialog(h) {
    const base = h.expires_at ? new Date(h.expires_at) : new Date();
    dialog(`Extend hold for case ${h.case_number}`, el("label", {}, `New expiry (${tzLabel()})`,
      el("input", { name: "expires_at", type: "datetime-local", required: true, value: localInput(new Date(base.getTime() + 180 * 86_400_000)) })), async (f) => {
      try { await api.post(`/api/retention/holds/${h.id}/extend`, { expires_at: iso(f.expires_at.value) }); toast(`Hold ${h.case_number} extended`, "ok"); load(); return true; } catch (err) { toast(`Extend: ${err.message}`, "error"); return false; }
    }, "Extend");
  }

  async function release(h) {
    if (!window.confirm(`Release the legal hold for case ${h.case_number}? Retention may then delete what it kept.`)) return;
    try { await api.post(`/api/retention/holds/${h.id}/release`, {}); toast(`Hold ${h.case_number} released`, "ok"); load(); } catch (err) { toast(`Release: ${err.message}`, "error"); }
  }

  load();
}
