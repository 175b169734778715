// Oversight: unusual search volume alerts (supervisors, auditors) and the auditor's review queue
// of each month's randomly sampled searches, each marked justified or not with a note.

import { api } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

function lastMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

export function mount(host, ctx) {
  const perms = new Set(ctx?.user?.permissions || []);
  const alerts = el("div", { "data-testid": "ov-alerts" });
  const queue = el("div", { "data-testid": "ov-queue" });
  const month = el("input", { type: "month", value: lastMonth(), "data-testid": "ov-month" });
  const pendingOnly = el("input", { type: "checkbox", checked: true });
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Unusual search volume")), alerts),
    perms.has("oversight:review") ? el("section", { class: "pane" },
      el("div", { class: "pane-head" }, el("h2", {}, "Search review (monthly random sample)"),
        el("div", { class: "toolbar" }, el("label", {}, "Month ", month), el("label", {}, pendingOnly, " pending only"),
          el("button", { class: "btn", onclick: () => loadQueue() }, "Show"),
          el("button", { class: "btn btn-primary", "data-testid": "ov-draw", onclick: () => draw() }, "Draw sample"))),
      queue) : ""));

  async function loadAlerts() {
    try {
      const data = await api.get("/api/oversight/alerts");
      if (!data.items.length) return clear(alerts, el("p", { class: "muted" }, "No unusual search volume."));
      clear(alerts, el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["Day", "User", "Searches", "Usual per day", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((a) => el("tr", { "data-alert": a.id },
          el("td", {}, a.day), el("td", {}, a.username), el("td", { class: "num bad-text" }, a.searches),
          el("td", { class: "num" }, a.baseline),
          el("td", {}, a.acknowledged_at ? el("span", { class: "muted" }, `acknowledged by ${a.acknowledged_by}`)
            : el("button", { class: "btn", onclick: () => ack(a.id) }, "Acknowledge")))))));
    } catch (err) { clear(alerts, el("div", { class: "form-error" }, err.message)); }
  }

  async function ack(id) {
    try { await api.post(`/api/oversight/alerts/${id}/acknowledge`); loadAlerts(); }
    catch (err) { toast(err.message, "error"); }
  }

  async function draw() {
    try {
      const data = await api.post("/api/oversight/reviews/sample", { month: month.value });
      toast(`${data.count} search(es) in the sample for ${month.value}`, "ok");
      loadQueue();
    } catch (err) { toast(`Cannot draw: ${err.message}`, "error"); }
  }

  function verdict(r) {
    if (r.justified !== null) {
      return el("span", { class: r.justified ? "ok-text" : "bad-text" },
        `${r.justified ? "✔ justified" : "✖ not justified"} — ${r.note} (${r.reviewed_by})`);
    }
    const note = el("input", { placeholder: "note (required)", "data-testid": "ov-note" });
    const mark = async (justified) => {
      try {
        await api.post(`/api/oversight/reviews/${r.id}`, { justified, note: note.value });
        loadQueue();
      } catch (err) { toast(err.message, "error"); }
    };
    return el("div", { class: "toolbar" }, note,
      el("button", { class: "btn", onclick: () => mark(true) }, "Justified"),
      el("button", { class: "btn", onclick: () => mark(false) }, "Not justified"));
  }

  async function loadQueue() {
    try {
      const data = await api.get("/api/oversight/reviews", { month: month.value, pending: pendingOnly.checked ? "true" : undefined });
      if (!data.items.length) return clear(queue, el("p", { class: "muted" }, "Nothing to review for this month."));
      clear(queue, el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["When", "User", "Purpose", "Reason", "Case", "Query", "Results", "Verdict"].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((r) => el("tr", { "data-review": r.id },
          el("td", { class: "nowrap" }, fmtDateTime(r.searched_at)), el("td", {}, r.username || "—"),
          el("td", {}, r.purpose || "—"), el("td", {}, r.reason || "—"), el("td", {}, r.case_number || "—"),
          el("td", { class: "meta" }, r.query ? Object.entries(r.query).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).join(" ") : ""),
          el("td", { class: "num" }, r.results ?? "—"), el("td", {}, verdict(r)))))));
    } catch (err) { clear(queue, el("div", { class: "form-error" }, err.message)); }
  }

  loadAlerts();
  if (perms.has("oversight:review")) loadQueue();
}
