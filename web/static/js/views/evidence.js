// Evidence exports: a signed package per case (the video cut for exactly the window, stills,
// reads, hits, audit events, custody log). Started from a hit, search results or a time window;
// followed with a progress bar; downloaded as a zip (each download is audited).

import { ApiError, api, download } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

const POLL_MS = 500;

export function canExport(user) {
  return (user?.permissions || []).includes("evidence:export");
}

const iso = (local) => (local ? new Date(local).toISOString() : null);

function localValue(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

function describe(source) {
  if (source.hit_id) return `hit ${source.hit_id}${source.plate ? ` (${source.plate})` : ""}`;
  if (source.read_ids) return `${source.read_ids.length} search result(s)`;
  return "a time window";
}

function windowFields(cameras, source) {
  const now = new Date();
  const start = source.start ? new Date(source.start) : new Date(now.getTime() - 10 * 60_000);
  const end = source.end ? new Date(source.end) : new Date(now.getTime() - 5 * 60_000);
  return el("div", { class: "form-grid" },
    el("label", {}, "Cameras (Ctrl+click for several)",
      el("select", { name: "cameras", multiple: true, size: Math.min(4, Math.max(2, cameras.length)), required: true },
        cameras.map((c) => el("option", { value: c.camera_id, selected: c.camera_id === source.camera_id || (source.camera_ids || []).includes(c.camera_id) }, c.name || c.camera_id)))),
    el("label", {}, "From", el("input", { type: "datetime-local", name: "start", step: 1, value: localValue(start) })),
    el("label", {}, "To", el("input", { type: "datetime-local", name: "end", step: 1, value: localValue(end) })));
}

function aroundFields() {
  return el("div", { class: "form-grid" },
    el("label", {}, "Seconds of video before", el("input", { type: "number", name: "pre_s", min: 0, max: 3600, value: 30 })),
    el("label", {}, "Seconds of video after", el("input", { type: "number", name: "post_s", min: 0, max: 3600, value: 30 })));
}

function bodyOf(form, source) {
  const f = form.elements;
  const body = { case_number: f.case_number.value.trim(), reason: f.reason.value.trim(),
    legal_authority: f.legal_authority.value.trim() || null };
  if (source.hit_id) Object.assign(body, { hit_id: source.hit_id });
  else if (source.read_ids) Object.assign(body, { read_ids: source.read_ids });
  else {
    return { ...body, cameras: [...f.cameras.selectedOptions].map((o) => o.value), start: iso(f.start.value), end: iso(f.end.value) };
  }
  return { ...body, pre_s: Number(f.pre_s.value), post_s: Number(f.post_s.value) };
}

/** Open the export dialog for `source` ({hit_id, plate, case_number} | {read_ids} | {camera_id? | camera_ids?, start?, end?}). */
export async function openExport(source) {
  const cameras = source.hit_id || source.read_ids ? [] : await api.get("/api/cameras").catch(() => []);
  const dlg = el("dialog", { class: "dlg", "data-testid": "dlg-evidence" });
  const error = el("div", { class: "form-error", role: "alert", hidden: true, "data-testid": "evidence-error" });
  const form = el("form", { method: "dialog" },
    el("h3", {}, `Export evidence: ${describe(source)}`),
    el("p", { class: "muted" }, "The package is signed, its sources are put on legal hold under the case number, and every download is recorded."),
    el("div", { class: "form-grid" },
      el("label", {}, "Case number", el("input", { name: "case_number", required: true, maxlength: 64, value: source.case_number || "" })),
      el("label", { class: "wide" }, "Reason", el("input", { name: "reason", required: true, maxlength: 2000, value: source.reason || "" })),
      el("label", { class: "wide" }, "Legal authority (warrant, subpoena…)", el("input", { name: "legal_authority", maxlength: 2000 }))),
    source.hit_id || source.read_ids ? aroundFields() : windowFields(cameras, source),
    error,
    el("div", { class: "dlg-actions" },
      el("button", { type: "button", class: "btn", onclick: () => close() }, "Close"),
      el("button", { type: "submit", class: "btn btn-primary", "data-testid": "evidence-submit" }, "Export")));
  const close = () => { stop = true; dlg.close(); dlg.remove(); };
  let stop = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const started = await api.post("/api/evidence", bodyOf(form, source));
      clear(form, progressPanel(started, close, () => stop));
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof ApiError && err.problems.length
        ? err.problems.map((p) => `${p.field}: ${p.message}`).join("; ") : err.message;
    }
  });
  dlg.addEventListener("cancel", (ev) => { ev.preventDefault(); close(); });
  dlg.append(form);
  document.body.append(dlg);
  dlg.showModal();
  form.elements.case_number.value ? form.elements.reason.focus() : form.elements.case_number.focus();
}

function progressPanel(exp, close, stopped) {
  const bar = el("progress", { max: 1, value: exp.progress || 0, "data-testid": "evidence-progress" });
  const stage = el("div", { class: "muted", "data-testid": "evidence-stage" }, "queued");
  const result = el("div", { "data-testid": "evidence-result" });
  const cancel = el("button", { type: "button", class: "btn btn-danger", onclick: () => api.post(`/api/evidence/${exp.id}/cancel`, {}).catch(() => {}) }, "Cancel export");
  const panel = el("div", { class: "stack" }, el("h3", {}, `Evidence export ${exp.id} — case ${exp.case_number}`), bar, stage, result,
    el("div", { class: "dlg-actions" }, cancel, el("button", { type: "button", class: "btn", onclick: close }, "Close")));
  async function poll() {
    if (stopped()) return;
    let cur;
    try { cur = await api.get(`/api/evidence/${exp.id}`); } catch (err) { stage.textContent = err.message; return; }
    bar.value = cur.progress;
    stage.textContent = `${Math.round(cur.progress * 100)}% · ${cur.stage || cur.status}`;
    if (cur.status === "running") { setTimeout(poll, POLL_MS); return; }
    cancel.remove();
    if (cur.status === "done") {
      clear(result, el("p", {}, `${cur.files} files, ${(cur.bytes / 1e6).toFixed(1)} MB · manifest sha256 `, el("code", {}, cur.manifest_sha256.slice(0, 16)), "…"),
        downloadButton(cur));
    } else {
      clear(result, el("p", { class: "bad-text" }, `Export ${cur.status}${cur.error ? `: ${cur.error}` : ""}. Nothing was kept.`));
    }
  }
  poll();
  return panel;
}

function downloadButton(exp) {
  return el("button", { type: "button", class: "btn btn-primary", "data-testid": "evidence-download", onclick: async () => {
    try {
      await download(exp.download_url, null, `evidence-${exp.case_number.replace(/[^\w.-]+/g, "_")}-${exp.id}.zip`);
      toast("Evidence package downloaded (recorded in its custody log)", "ok");
    } catch (err) { toast(`Download failed: ${err.message}`, "error"); }
  } }, "Download zip");
}

/** The Evidence view: exports per case, and a new export for a time window. */
export function mount(host) {
  const filter = el("form", { class: "toolbar" },
    el("label", {}, "Case number ", el("input", { name: "case_number", placeholder: "all cases", "data-testid": "evidence-case" })),
    el("button", { class: "btn", type: "submit" }, "Show"),
    el("button", { class: "btn btn-primary", type: "button", "data-testid": "evidence-new", onclick: () => openExport({}).then(() => {}) }, "Export a time window…"));
  const list = el("div", { "data-testid": "evidence-list" });
  host.append(el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Evidence exports")), filter, list));
  async function load() {
    try {
      const data = await api.get("/api/evidence", { case_number: filter.elements.case_number.value.trim() });
      clear(list, data.items.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["#", "Case", "Status", "Source", "Cameras", "Window", "By", "Created", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((x) => el("tr", { "data-export-id": x.id },
          el("td", { class: "num" }, x.id), el("td", {}, x.case_number),
          el("td", {}, x.status === "running" ? `${Math.round(x.progress * 100)}%` : x.status),
          el("td", {}, x.source_id ? `${x.source_kind} ${x.source_id}` : x.source_kind), el("td", {}, x.cameras.join(", ")),
          el("td", { class: "nowrap" }, `${fmtDateTime(x.start_at)} – ${fmtDateTime(x.end_at)}`),
          el("td", {}, x.requested_by), el("td", { class: "nowrap" }, fmtDateTime(x.created_at)),
          el("td", {}, x.status === "done" ? downloadButton(x) : x.error || "")))))
        : el("p", { class: "muted" }, "No exports."));
    } catch (err) { toast(`Exports: ${err.message}`, "error"); }
  }
  filter.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  load();
}
