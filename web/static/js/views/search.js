// Search plate reads: purpose first (reason + case number), then plate wildcards, cameras,
// time range. Every search and export is audited by the server.

import { ApiError, api, download } from "../api.js";
import { clear, el, fmtDateTime, img, pct, toast } from "../dom.js";
import { canExport, openExport } from "./evidence.js";
import { canPlay, videoLink } from "./playback.js";

const PAGE = 50;
const MIN_REASON = 10;

function localInput(name, label) {
  return el("label", {}, label, el("input", { type: "datetime-local", name, step: 1 }));
}

export function mount(host, ctx) {
  const form = el("form", { class: "stack", "data-testid": "search-form", novalidate: true },
    el("div", { class: "form-grid" },
      el("label", {}, "Plate (* any run, ? one character)",
        el("input", { name: "plate", placeholder: "e.g. LS15* or AB?2CDE", autocomplete: "off", spellcheck: "false", style: "text-transform:uppercase" })),
      el("label", {}, "Camera", el("select", { name: "camera_id" }, el("option", { value: "" }, "All cameras"))),
      localInput("start", "From"), localInput("end", "To")),
    el("fieldset", { class: "purpose" }, el("legend", {}, "Purpose — required, recorded in the audit log"),
      el("div", { class: "form-grid" },
        el("label", {}, "Purpose", el("select", { name: "purpose", "data-testid": "search-purpose" },
          el("option", { value: "" }, "Choose the purpose…"))),
        el("label", { hidden: true, "data-testid": "search-legal-basis" }, "Legal basis (warrant, order…)",
          el("input", { name: "legal_basis", maxlength: 500 })),
        el("label", { class: "wide" }, "Reason for this search",
          el("input", { name: "reason", placeholder: `at least ${MIN_REASON} characters, e.g. "stolen vehicle enquiry, suspect car"` })),
        el("label", {}, "Case number", el("input", { name: "case_number", placeholder: "e.g. CASE-2026-0042" })))),
    el("div", { class: "form-error", "data-testid": "search-error", role: "alert", hidden: true }),
    el("div", { class: "toolbar" },
      el("button", { class: "btn btn-primary", type: "submit", "data-testid": "search-submit" }, "Search"),
      el("button", { class: "btn", type: "button", "data-testid": "search-export", onclick: () => exportCsv() }, "Export CSV"),
      canExport(ctx.user) ? el("button", { class: "btn", type: "button", "data-testid": "search-evidence", onclick: () => exportEvidence() }, "Export evidence…") : "",
      el("span", { class: "muted" }, "Searches are limited to your assignments and logged with your name.")));
  const results = el("div", { "data-testid": "search-results" });
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Search plate reads")), form),
    el("section", { class: "pane" }, results)));
  clear(results, el("p", { class: "muted" }, "State the purpose and search: results appear here."));

  const errorBox = form.querySelector("[data-testid=search-error]");
  let last = null;
  let lastItems = [];

  api.get("/api/cameras").then((cams) => {
    const sel = form.elements.camera_id;
    for (const c of cams) sel.append(el("option", { value: c.camera_id }, c.name || c.camera_id));
  }).catch(() => {});

  // Purpose codes come from the server's settings; prohibited purposes are not offered (and the
  // server refuses and records them anyway).
  let needsBasis = [];
  api.get("/api/oversight/purposes").then((cfg) => {
    needsBasis = cfg.legal_basis_required || [];
    for (const code of cfg.purposes) form.elements.purpose.append(el("option", { value: code }, code.replaceAll("_", " ")));
  }).catch(() => {});
  form.elements.purpose.addEventListener("change", () => {
    form.querySelector("[data-testid=search-legal-basis]").hidden = !needsBasis.includes(form.elements.purpose.value);
  });

  function params(offset = 0) {
    const f = form.elements;
    const iso = (v) => (v ? new Date(v).toISOString() : "");
    return {
      plate: f.plate.value.trim().toUpperCase(), camera_id: f.camera_id.value,
      start: iso(f.start.value), end: iso(f.end.value),
      purpose: f.purpose.value, legal_basis: f.legal_basis.value.trim(),
      reason: f.reason.value.trim(), case_number: f.case_number.value.trim(), limit: PAGE, offset,
    };
  }

  /** The purpose is checked here too so nothing is sent without it; the server checks again. */
  function purposeProblems(p) {
    const out = [];
    if (!p.purpose) out.push("Choose the purpose of this search.");
    else if (needsBasis.includes(p.purpose) && !p.legal_basis) out.push("Give the legal basis for this purpose.");
    if (!p.reason) out.push("Give a reason for this search.");
    else if (p.reason.length < MIN_REASON) out.push(`The reason must be at least ${MIN_REASON} characters.`);
    if (!p.case_number) out.push("Give the case number this search is for.");
    return out;
  }

  function showError(lines) {
    errorBox.hidden = !lines.length;
    clear(errorBox, lines.length === 1 ? lines[0] : el("ul", {}, lines.map((l) => el("li", {}, l))));
  }

  async function run(offset = 0) {
    const p = params(offset);
    const problems = purposeProblems(p);
    if (problems.length) {
      showError(problems);
      (p.reason.length < MIN_REASON ? form.elements.reason : form.elements.case_number).focus();
      return;
    }
    showError([]);
    clear(results, el("p", { class: "muted" }, "Searching…"));
    try {
      const data = await api.get("/api/reads", p);
      last = p;
      renderResults(data);
    } catch (err) {
      const lines = err instanceof ApiError && err.problems.length ? err.problems.map((x) => x.message || x.reason || JSON.stringify(x)) : [err.message];
      showError(lines);
      clear(results);
    }
  }

  function renderResults(data) {
    lastItems = data.items;
    const total = data.total ?? data.count;
    const from = data.offset + 1;
    const to = data.offset + data.items.length;
    clear(results,
      el("div", { class: "pane-head" }, el("h2", {}, `${total} read(s)`),
        el("span", { class: "muted" }, total ? `showing ${from}–${to}` : "")),
      data.items.length ? el("table", { class: "table", "data-testid": "results-table" },
        el("thead", {}, el("tr", {}, ["Crop", "Plate", "Camera", "Seen", "Confidence", "Frames", "Snapshot"].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((r) => el("tr", { "data-plate": r.plate },
          el("td", {}, img(r.crop_url, `plate ${r.plate}`, "thumb")),
          el("td", {}, el("span", { class: "plate" }, r.plate)),
          el("td", {}, ctx.cameras.get(r.camera_id)?.name || r.camera_id),
          el("td", {}, fmtDateTime(r.observed_at)),
          el("td", { class: "num" }, pct(r.confidence)),
          el("td", { class: "num" }, r.frames ?? ""),
          el("td", {}, r.snapshot_url ? el("a", { href: r.snapshot_url, target: "_blank", rel: "noopener" }, "open") : "—",
            canPlay(ctx) ? [" ", videoLink(r.camera_id, r.observed_at, { readId: r.id })] : "")))))
        : el("p", { class: "muted" }, "No reads match."),
      el("div", { class: "pager" },
        el("button", { class: "btn", disabled: data.offset <= 0, onclick: () => run(Math.max(0, data.offset - PAGE)) }, "← Newer"),
        el("button", { class: "btn", disabled: to >= total, onclick: () => run(data.offset + PAGE) }, "Older →")));
  }

  /** The reads on screen as one evidence package (their cameras, first to last read). */
  function exportEvidence() {
    if (!lastItems.length) return showError(["Search first: the results on screen are exported."]);
    const p = last || params();
    openExport({ read_ids: lastItems.map((r) => r.id), case_number: p.case_number, reason: p.reason });
  }

  async function exportCsv() {
    const p = last || params();
    const problems = purposeProblems(p);
    if (problems.length) return showError(problems);
    try {
      await download("/api/reads/export.csv", { ...p, limit: undefined, offset: undefined }, `reads-${p.case_number}.csv`);
      toast("CSV export downloaded (recorded in the audit log)", "ok");
    } catch (err) {
      showError([`Export failed: ${err.message}`]);
    }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(0); });
  form.elements.plate.focus();
}
