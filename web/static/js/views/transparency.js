// Transparency (auditors, supervisors): the yearly EO 78 report. Computed figures per technology
// (with their window and audit checkpoint) next to the text a person enters; every save is a
// new version; a named sign-off; HTML and PDF downloads, full or public version.

import { api, download } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

const TITLES = { lpr: "Plate recognition", video: "Video cameras", gunshot: "Gunshot detection" };
const FIELDS = [
  ["how_used", "How it is used"], ["how_requested", "How use is requested"], ["funding", "Funding"],
  ["complaints", "Complaints"], ["partnerships", "Partnerships"],
  ["effectiveness", "How effectiveness is measured"], ["policy_changes", "Policy changes"],
];

const label = (name) => name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

function value(fig) {
  const v = fig.value;
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") {
    const parts = Object.entries(v).map(([k, x]) => `${label(k)}: ${x}${fig.kind === "days" ? " d" : ""}`);
    return parts.length ? parts.join(" · ") : "none";
  }
  if (fig.kind === "share" && typeof v === "number") return `${(v * 100).toFixed(1)} %`;
  return typeof v === "number" ? v.toLocaleString() : String(v);
}

function windowText(w) {
  return w.start === w.end ? `at ${fmtDateTime(w.start)}` : `${w.start.slice(0, 10)} – ${w.end.slice(0, 10)}`;
}

export function mount(host, ctx) {
  const canEdit = (ctx?.user?.permissions || []).includes("transparency:edit");
  const thisYear = new Date().getUTCFullYear();
  const year = el("input", { type: "number", min: 2000, max: 2100, value: thisYear - 1, "data-testid": "tr-year", style: "width:7rem" });
  const publicBox = el("input", { type: "checkbox", "data-testid": "tr-public" });
  const head = el("div", { "data-testid": "tr-head" });
  const body = el("div", { class: "stack", "data-testid": "tr-report" });
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" },
      el("div", { class: "pane-head" }, el("h2", {}, "Transparency report (EO 78)"),
        el("div", { class: "toolbar" },
          el("label", {}, "Year ", year),
          el("label", {}, publicBox, " public version"),
          el("button", { class: "btn", onclick: () => load() }, "Show"),
          el("button", { class: "btn", onclick: () => file("html") }, "HTML"),
          el("button", { class: "btn", onclick: () => file("pdf") }, "PDF"))),
      head),
    body));

  const params = () => ({ public: publicBox.checked ? "true" : undefined });

  async function file(fmt) {
    try {
      await download(`/api/transparency/${year.value}/report.${fmt}`, params(), `transparency-${year.value}.${fmt}`);
      toast(`Report ${fmt.toUpperCase()} downloaded`, "ok");
    } catch (err) { toast(`Download failed: ${err.message}`, "error"); }
  }

  function signoffBlock(r) {
    const s = r.signoff;
    const statement = el("input", { placeholder: "Statement (optional)", "data-testid": "tr-statement", style: "min-width:20rem" });
    const status = s
      ? el("span", { class: s.entries_changed_since || s.figures_changed_since ? "bad-text" : "ok-text", "data-testid": "tr-signoff" },
        `Signed off by ${s.signed_by} on ${fmtDateTime(s.signed_at)}`,
        s.entries_changed_since ? " — entered text changed since" : "",
        s.figures_changed_since ? " — figures changed since" : "")
      : el("span", { class: "bad-text", "data-testid": "tr-signoff" }, "Not signed off");
    const button = canEdit && !r.public ? el("button", { class: "btn btn-primary", "data-testid": "tr-signoff-btn", onclick: async () => {
      try {
        await api.post(`/api/transparency/${r.year}/signoff`, { statement: statement.value || null });
        toast("Report signed off", "ok");
        load();
      } catch (err) { toast(`Sign-off failed: ${err.message}`, "error"); }
    } }, "Sign off as me") : "";
    return el("div", { class: "toolbar" }, status, canEdit && !r.public ? statement : "", button);
  }

  function figuresTable(t) {
    return el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Figure (computed)", "Value", "Window (UTC)"].map((h) => el("th", {}, h)))),
      el("tbody", {}, Object.entries(t.figures).map(([name, fig]) => el("tr", { "data-figure": name },
        el("td", {}, label(name)),
        el("td", { class: "num" }, value(fig)),
        el("td", { class: "meta", title: `audit row ${fig.checkpoint.row_id} · ${fig.checkpoint.row_hash.slice(0, 16)}` }, windowText(fig.window))))));
  }

  function enteredForm(r, t) {
    const entered = t.entered;
    const form = el("form", { class: "stack", "data-testid": `tr-form-${t.technology}` },
      FIELDS.map(([key, title]) => el("label", {}, title,
        el("textarea", { name: key, rows: 2, readonly: !canEdit || r.public }, entered?.fields?.[key] || ""))),
      canEdit && !r.public ? el("div", { class: "toolbar" }, el("button", { class: "btn btn-primary", type: "submit" }, "Save new version")) : "");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const payload = Object.fromEntries(FIELDS.map(([key]) => [key, form.elements[key].value || null]));
      try {
        const saved = await api.post(`/api/transparency/${r.year}/entries/${t.technology}`, payload);
        toast(`${TITLES[t.technology]}: version ${saved.version} saved`, "ok");
        load();
      } catch (err) { toast(`Save failed: ${err.message}`, "error"); }
    });
    const meta = entered
      ? `Version ${entered.version}, entered by ${entered.entered_by} on ${fmtDateTime(entered.entered_at)}`
      : "Not entered yet";
    return el("div", {}, el("h3", {}, "Entered by a person"), el("p", { class: "meta", "data-testid": `tr-version-${t.technology}` }, meta), form);
  }

  function technology(r, t) {
    const ai = t.uses_ai === null ? "not known to this system" : (t.uses_ai ? `yes (${t.ai_models.join(", ")})` : "no");
    return el("section", { class: "pane", "data-technology": t.technology },
      el("div", { class: "pane-head" }, el("h2", {}, TITLES[t.technology])),
      el("p", {}, el("b", {}, "Units: "), `${t.units.total ?? 0} in service`,
        Object.keys(t.units.by_type || {}).length ? ` · ${Object.entries(t.units.by_type).map(([k, v]) => `${k}: ${v}`).join(", ")}` : "",
        el("br"), el("b", {}, "Uses AI: "), ai),
      el("div", { class: "grid-2" }, figuresTable(t), enteredForm(r, t)));
  }

  let loads = 0;
  async function load() {
    const mine = ++loads;  // a slower, older answer never replaces a newer one
    body.dataset.state = "loading";
    clear(body, el("p", { class: "muted" }, "Computing…"));
    try {
      const r = await api.get(`/api/transparency/${year.value}`, params());
      if (mine !== loads) return;
      clear(head,
        el("p", { class: "meta" }, `Computed ${fmtDateTime(r.generated_at)} at audit row ${r.checkpoint.row_id} (${r.checkpoint.row_hash.slice(0, 16)})`,
          r.signed_checkpoint ? ` · signed checkpoint ${r.signed_checkpoint.seq}` : "",
          r.partial ? " · year to date" : "", r.public ? ` · public version: counts below ${r.suppress_below} hidden` : ""),
        signoffBlock(r));
      clear(body, r.technologies.map((t) => technology(r, t)));
      body.dataset.state = "ready";
    } catch (err) {
      if (mine === loads) { clear(body, el("div", { class: "form-error" }, err.message)); body.dataset.state = "error"; }
    }
  }

  load();
}
