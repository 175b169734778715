// Retention (retention:view): the compliance report; with retention:run, a dry run first and
// then the real run, which the console offers only after a dry run showed what would go.

import { api } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

function classesTable(r) {
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, ["Data", "Policy", "Items", "Oldest", "Past period"].map((h) => el("th", {}, h)))),
    el("tbody", {}, Object.entries(r.classes || {}).map(([name, c]) => el("tr", {},
      el("td", {}, name.replaceAll("_", " ")), el("td", { class: "num" }, `${c.policy_days} d`),
      el("td", { class: "num" }, c.items ?? "—"),
      el("td", {}, c.oldest_at ? fmtDateTime(c.oldest_at) : "—"),
      el("td", { class: c.past_period ? "bad-text" : "ok-text" }, c.past_period ? `✖ ${c.past_period}` : "✔ 0")))));
}

function runTable(run) {
  const names = [...new Set([...Object.keys(run.deleted_rows || {}), ...Object.keys(run.skipped_held || {}), ...Object.keys(run.cutoffs || {})])];
  return el("table", { class: "table", "data-testid": "run-result" },
    el("thead", {}, el("tr", {}, ["Data", "Cut-off", run.dry_run ? "Would delete" : "Deleted", "Bytes", "Kept by holds"].map((h) => el("th", {}, h)))),
    el("tbody", {}, names.map((n) => el("tr", {}, el("td", {}, n.replaceAll("_", " ")),
      el("td", {}, run.cutoffs?.[n] ? fmtDateTime(run.cutoffs[n]) : "—"),
      el("td", { class: "num" }, run.deleted_rows?.[n] ?? 0), el("td", { class: "num" }, run.deleted_bytes?.[n] ?? 0),
      el("td", { class: "num" }, run.skipped_held?.[n] ?? 0)))));
}

export function mount(host, ctx) {
  const canRun = (ctx.user.permissions || []).includes("retention:run");
  const report = el("div", { "data-testid": "retention-report" });
  const runBox = el("div", { "data-testid": "retention-run" });
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Retention report"),
      el("button", { type: "button", class: "btn", onclick: () => loadReport() }, "Refresh")), report),
    canRun ? el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Retention run"),
      el("span", { class: "muted" }, "A dry run first shows what a run would delete; then run it.")), runBox) : ""));
  let dry = null;

  async function loadReport() {
    try {
      const r = await api.get("/api/retention/report");
      clear(report,
        el("div", { class: r.compliant ? "ok-text" : "bad-text", style: "font-size:1.2rem;font-weight:700", "data-testid": "compliance" }, r.compliant ? "✔ COMPLIANT" : "✖ NOT COMPLIANT"),
        r.reasons?.length ? el("ul", { class: "bad-text" }, r.reasons.map((x) => el("li", {}, x))) : "",
        classesTable(r),
        el("p", { class: "meta" }, `Last successful run: ${r.runs?.last_successful_at ? fmtDateTime(r.runs.last_successful_at) : "none"} · failed runs (30 d): ${r.runs?.failed_last_30_days ?? 0} · active legal holds: ${(r.holds || []).length} · orphan files: ${r.reconciliation?.orphan_files ?? 0} · report ${fmtDateTime(r.generated_at)}`));
    } catch (err) { clear(report, el("p", { class: "bad-text" }, `Retention report unavailable: ${err.message}`)); }
  }

  function renderRun(result) {
    clear(runBox,
      el("div", { class: "toolbar" },
        el("button", { type: "button", class: "btn", "data-action": "retention.dry_run", "data-perm": "retention:run", onclick: (ev) => run(true, ev.target) }, "Dry run"),
        el("button", { type: "button", class: "btn btn-danger", "data-action": "retention.run", "data-perm": "retention:run", disabled: !dry,
          title: dry ? "Delete what the dry run listed" : "Do a dry run first", onclick: (ev) => run(false, ev.target) }, "Run now")),
      result ? el("div", {},
        el("p", { class: result.status === "ok" ? "ok-text" : "bad-text" },
          `${result.dry_run ? "Dry run" : "Run"} #${result.run_id}: ${result.status}${result.errors?.length ? ` — ${result.errors.join("; ")}` : ""}`),
        runTable(result)) : el("p", { class: "muted" }, "No run yet in this session."));
  }

  async function run(dryRun, button) {
    if (!dryRun && !window.confirm("Delete everything past its retention period now (legal holds are kept)?")) return;
    button.disabled = true;
    try {
      const result = await api.post("/api/retention/run", { dry_run: dryRun });
      dry = dryRun ? result : null;
      renderRun(result);
      toast(`${dryRun ? "Dry run" : "Retention run"} ${result.status}`, result.status === "ok" ? "ok" : "error");
      if (!dryRun) loadReport();
    } catch (err) { toast(`Retention: ${err.message}`, "error"); button.disabled = false; }
  }

  loadReport();
  if (canRun) renderRun(null);
}
