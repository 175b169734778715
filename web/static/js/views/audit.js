// Audit (auditors): the audit log with filters and CSV export, retention compliance,
// and reads / hits per day.

import { api, download } from "../api.js";
import { barChart } from "../charts.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

const PAGE = 100;

export function mount(host) {
  const filters = el("form", { class: "form-grid", "data-testid": "audit-filters" },
    el("label", {}, "User", el("input", { name: "username" })),
    el("label", {}, "Action", el("input", { name: "action", placeholder: "e.g. reads.search" })),
    el("label", {}, "Case number", el("input", { name: "case_number" })),
    el("label", {}, "From", el("input", { name: "start", type: "datetime-local" })),
    el("label", {}, "To", el("input", { name: "end", type: "datetime-local" })),
    el("div", { class: "toolbar" },
      el("button", { class: "btn btn-primary", type: "submit" }, "Filter"),
      el("button", { class: "btn", type: "button", title: "Times in the file are UTC (ISO 8601 with +00:00)", onclick: () => exportCsv() }, "Export CSV (UTC)")));
  const log = el("div", { "data-testid": "audit-log" });
  const compliance = el("div", { "data-testid": "retention" });
  const verified = el("div", { "data-testid": "chain-result", role: "status" });
  const charts = el("div");
  host.append(el("div", { class: "stack" },
    el("div", { class: "grid-2" },
      el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Retention compliance"),
        el("button", { class: "btn", type: "button", "data-action": "audit.verify", "data-perm": "audit:view", onclick: (ev) => verifyChain(ev.target) }, "Verify audit chain")),
      verified, compliance),
      el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Activity — last 14 days (UTC)")), charts)),
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Audit log"),
      el("span", { class: "muted" }, "Your viewing of this log is itself recorded.")), filters, el("div", { style: "height:.8rem" }), log)));

  function params(offset = 0) {
    const f = filters.elements;
    const iso = (v) => (v ? new Date(v).toISOString() : "");
    return { username: f.username.value.trim(), action: f.action.value.trim(), case_number: f.case_number.value.trim(),
      start: iso(f.start.value), end: iso(f.end.value), limit: PAGE, offset };
  }

  function summary(ev) {
    const d = ev.details || {};
    const bits = [];
    if (d.reason) bits.push(`reason: “${d.reason}”`);
    if (d.query?.plate) bits.push(`plate ${d.query.plate}`);
    if (d.results !== undefined) bits.push(`${d.results} result(s)`);
    if (!bits.length && Object.keys(d).length) bits.push(JSON.stringify(d).slice(0, 120));
    return bits.join(" · ");
  }

  async function loadLog(offset = 0) {
    try {
      const data = await api.get("/api/audit", params(offset));
      clear(log, el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["#", "Time", "User", "Role", "Source", "Action", "Target", "Outcome", "Case", "Details"].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((ev) => el("tr", { "data-action": ev.action },
          el("td", { class: "num muted" }, ev.id), el("td", { class: "nowrap" }, fmtDateTime(ev.at)), el("td", {}, ev.username || "—"),
          el("td", { class: "muted" }, ev.role || ""), el("td", { class: "muted" }, ev.source || ""),
          el("td", {}, el("code", {}, ev.action)), el("td", {}, ev.target || ""),
          el("td", { class: `nowrap ${ev.outcome === "success" ? "ok-text" : "bad-text"}` }, ev.outcome === "success" ? "✔ success" : `✖ ${ev.outcome}`),
          el("td", {}, ev.case_number || ""), el("td", { class: "meta" }, summary(ev)))))),
      el("div", { class: "pager" },
        el("button", { class: "btn", disabled: offset <= 0, onclick: () => loadLog(Math.max(0, offset - PAGE)) }, "← Newer"),
        el("button", { class: "btn", disabled: data.items.length < PAGE, onclick: () => loadLog(offset + PAGE) }, "Older →")));
    } catch (err) { clear(log, el("div", { class: "form-error" }, err.message)); }
  }

  async function exportCsv() {
    try {
      await download("/api/audit/export.csv", { ...params(), limit: undefined, offset: undefined }, "audit.csv");
      toast("Audit CSV downloaded", "ok");
    } catch (err) { toast(`Export failed: ${err.message}`, "error"); }
  }

  /** Walk the whole hash chain on the server (recorded in the audit trail itself). */
  async function verifyChain(button) {
    button.disabled = true;
    clear(verified, el("p", { class: "muted" }, "Verifying the audit chain…"));
    try {
      const r = await api.get("/api/audit/verify");
      clear(verified, el("p", { class: r.ok ? "ok-text" : "bad-text", "data-ok": String(r.ok) },
        r.ok ? `✔ Audit chain intact (checked ${fmtDateTime(new Date().toISOString())})`
          : `✖ Audit chain broken at row ${r.problem.row_id} (${r.problem.kind}): ${r.problem.message}`));
    } catch (err) { clear(verified, el("p", { class: "bad-text" }, `Verification failed: ${err.message}`)); } finally { button.disabled = false; }
  }

  async function loadCompliance() {
    try {
      const r = await api.get("/api/retention/report");
      const rows = Object.entries(r.classes || {}).map(([name, c]) => el("tr", {},
        el("td", {}, name.replaceAll("_", " ")), el("td", { class: "num" }, `${c.policy_days} d${c.minimum ? " (min)" : ""}`),
        el("td", { class: "num" }, c.items ?? "—"),
        el("td", {}, c.oldest_at ? `${fmtDateTime(c.oldest_at)} (${Math.round(c.oldest_age_days ?? 0)} d)` : "—"),
        el("td", { class: c.past_period ? "bad-text" : "ok-text" }, c.past_period ? `✖ ${c.past_period}` : (c.chain_ok === false ? "✖ chain broken" : "✔ 0"))));
      clear(compliance,
        el("div", { class: r.compliant ? "ok-text" : "bad-text", style: "font-size:1.2rem;font-weight:700", "data-testid": "compliance" },
          r.compliant ? "✔ COMPLIANT" : "✖ NOT COMPLIANT"),
        r.reasons?.length ? el("ul", { class: "bad-text" }, r.reasons.map((x) => el("li", {}, x))) : "",
        el("table", { class: "table" }, el("thead", {}, el("tr", {}, ["Data", "Policy", "Items", "Oldest", "Past period"].map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
        el("p", { class: "meta" }, `Last successful run: ${r.runs?.last_successful_at ? fmtDateTime(r.runs.last_successful_at) : "none"} · failed runs (30 d): ${r.runs?.failed_last_30_days ?? 0} · legal holds: ${(r.holds || []).length} · report ${fmtDateTime(r.generated_at)}`));
    } catch (err) { clear(compliance, el("p", { class: "muted" }, `Retention report unavailable: ${err.message}`)); }
  }

  async function loadCharts() {
    try {
      const { days } = await api.get("/api/stats/daily", { days: 14 });
      const label = (d) => d.day.slice(5);
      clear(charts,
        el("div", { class: "legend" }, el("span", {}, el("span", { class: "sw", style: "background:var(--accent)" }), "Plate reads per day")),
        barChart(days.map((d) => ({ label: label(d), value: d.reads })), { title: "Plate reads per day", cls: "bar-reads" }),
        el("div", { class: "legend" }, el("span", {}, el("span", { class: "sw", style: "background:var(--high)" }), "Hotlist hits per day")),
        barChart(days.map((d) => ({ label: label(d), value: d.hits })), { title: "Hotlist hits per day", cls: "bar-hits", height: 120 }));
    } catch (err) { clear(charts, el("p", { class: "muted" }, `Activity figures unavailable: ${err.message}`)); }
  }

  filters.addEventListener("submit", (ev) => { ev.preventDefault(); loadLog(0); });
  loadLog();
  loadCompliance();
  loadCharts();
}
