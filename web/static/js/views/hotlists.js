// Hotlists (supervisors): the lists, their entries, add / expire an entry, file upload with
// progress and per-line errors, and the historical hits an upload or a new entry found.

import { ApiError, api, upload } from "../api.js";
import { clear, el, fmtDateTime, priorityBadge, toast } from "../dom.js";

export function mount(host, ctx) {
  const canManage = (ctx.user.permissions || []).includes("hotlists:manage");
  const state = { lists: [], selected: null, filter: "" };
  const listsBox = el("div");
  const entriesBox = el("div");
  const historyBox = el("div", { "data-testid": "historical-hits" });
  let seq = 0;
  const uploadBox = el("div");
  host.append(el("div", { class: "split" },
    el("div", { class: "stack" },
      el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Hotlists")), listsBox),
      canManage ? el("section", { class: "pane", "data-action": "hotlist.upload", "data-perm": "hotlists:manage" }, el("div", { class: "pane-head" }, el("h2", {}, "Upload a list")), uploadBox) : ""),
    el("div", { class: "stack" },
      el("section", { class: "pane" }, entriesBox),
      el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Historical hits")), historyBox))));

  async function loadLists() {
    try {
      state.lists = (await api.get("/api/hotlists")).items;
      if (!state.selected && state.lists.length) state.selected = state.lists[0].id;
      renderLists();
      loadEntries();
    } catch (err) { toast(`Hotlists: ${err.message}`, "error"); }
  }

  function renderLists() {
    clear(listsBox, state.lists.length ? el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["List", "Kind", "Priority", "Entries"].map((h) => el("th", {}, h)))),
      el("tbody", {}, state.lists.map((l) => el("tr", {
        class: l.id === state.selected ? "selected" : "", style: "cursor:pointer", "data-list": l.name,
        onclick: () => { state.selected = l.id; renderLists(); loadEntries(); },
      },
      el("td", {}, el("span", { class: "sw", style: `display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin-right:.4rem;background:${l.colour}` }),
        el("strong", {}, l.name), l.restricted ? el("span", { class: "badge", style: "margin-left:.4rem" }, "RESTRICTED") : "",
        l.managed_file ? el("span", { class: "badge", style: "margin-left:.4rem", "data-testid": "managed-file", title: "Loaded from the configuration file at every start: read-only here" }, `managed by file ${l.managed_file}`) : ""),
      el("td", {}, (l.kind || "").replaceAll("_", " ")),
      el("td", {}, priorityBadge(l.priority)),
      el("td", { class: "num" }, l.entries ?? "—")))))
      : el("p", { class: "muted" }, "No hotlists yet. Upload one."));
    if (!uploadBox.firstChild) renderUpload();
    const names = uploadBox.querySelector("#hl-names");
    if (names) clear(names, state.lists.map((l) => el("option", { value: l.name })));
  }

  async function loadEntries() {
    const list = state.lists.find((l) => l.id === state.selected);
    if (!list) { clear(entriesBox); clear(historyBox); return; }
    const mine = ++seq;  // a slower, older answer must not overwrite a newer one
    try {
      const data = await api.get(`/api/hotlists/${list.id}/entries`, { plate: state.filter, limit: 200 });
      if (mine !== seq) return;
      renderEntries(list, data.items);
    } catch (err) { toast(`Entries: ${err.message}`, "error"); }
    loadHistory(list);
  }

  function renderEntries(list, entries) {
    const filter = el("input", { placeholder: "Find plate…", value: state.filter, style: "max-width:14rem",
      oninput: (ev) => { state.filter = ev.target.value.trim().toUpperCase(); clearTimeout(filter._t); filter._t = setTimeout(loadEntries, 300); } });
    const now = Date.now();
    const editable = canManage && !list.managed_file;  // a configured list changes only in its file
    clear(entriesBox,
      el("div", { class: "pane-head" }, el("h2", {}, `${list.name} — entries`), filter),
      list.managed_file ? el("p", { class: "muted", "data-testid": "managed-note" }, `Managed by file ${list.managed_file}: edit that file; it is loaded again at every start.`) : "",
      editable ? addForm(list) : "",
      entries.length ? el("table", { class: "table", "data-testid": "entries-table" },
        el("thead", {}, el("tr", {}, ["Plate", "State", "Reason", "Case", "Vehicle", "Expires", "Added", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, entries.map((e) => {
          const expired = e.expires_at && new Date(e.expires_at).getTime() <= now;
          return el("tr", { "data-plate": e.plate, style: expired ? "opacity:.55" : "" },
            el("td", {}, el("span", { class: "plate" }, e.plate)), el("td", {}, e.state || "—"),
            el("td", {}, e.reason || "—"), el("td", {}, e.case_number || "—"), el("td", {}, e.description || "—"),
            el("td", {}, e.expires_at ? `${expired ? "EXPIRED " : ""}${fmtDateTime(e.expires_at)}` : "never"),
            el("td", { class: "meta" }, `${e.added_by || "?"} · ${fmtDateTime(e.added_at)}`),
            el("td", {}, editable && !expired ? el("button", { class: "btn btn-sm", onclick: () => expire(e) }, "Expire") : ""));
        })))
        : el("p", { class: "muted" }, state.filter ? "No entries match." : "This list is empty."));
  }

  function addForm(list) {
    const form = el("form", { class: "form-grid", style: "margin-bottom:1rem" },
      el("label", {}, "Plate", el("input", { name: "plate", required: true, placeholder: "AB12CDE or ABC*", style: "text-transform:uppercase" })),
      el("label", {}, "State", el("input", { name: "state", placeholder: "optional" })),
      el("label", {}, "Justification", el("input", { name: "reason", required: true, placeholder: "why this plate is wanted" })),
      el("label", {}, "Case number", el("input", { name: "case_number", required: true })),
      el("label", {}, "Owner", el("input", { name: "owner", placeholder: "default: you" })),
      el("label", {}, "Vehicle", el("input", { name: "description", placeholder: "colour, make, model" })),
      el("label", {}, `Expires (default ${list.manual_expiry_days ?? 30} days)`, el("input", { name: "expires_at", type: "datetime-local" })),
      el("button", { class: "btn btn-primary", type: "submit" }, "Add entry"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = form.elements;
      const body = { plate: f.plate.value.trim().toUpperCase() };
      for (const k of ["state", "reason", "case_number", "owner", "description"]) if (f[k].value.trim()) body[k] = f[k].value.trim();
      if (f.expires_at.value) body.expires_at = new Date(f.expires_at.value).toISOString();
      try {
        const res = await api.post(`/api/hotlists/${list.id}/entries`, body);
        toast(`Added ${res.plate}${res.historical_hits ? ` — ${res.historical_hits} historical hit(s) found` : ""}`, "ok");
        form.reset();
        loadLists();
      } catch (err) { toast(`Could not add: ${err.message}`, "error"); }
    });
    return form;
  }

  async function expire(entry) {
    if (!confirm(`Expire ${entry.plate} now? It will stop producing hits.`)) return;
    try {
      await api.patch(`/api/hotlists/entries/${entry.id}`, { expires_at: new Date().toISOString() });
    } catch (err) { return toast(`Could not expire: ${err.message}`, "error"); }
    toast(`${entry.plate} no longer hits`, "ok");
    loadLists();
  }

  async function loadHistory(list) {
    try {
      const data = await api.get("/api/hits", { hotlist_id: list.id, historical: true, limit: 100 });
      clear(historyBox, data.items.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["Plate", "Entry", "Camera", "Seen", "Match"].map((h) => el("th", {}, h)))),
        el("tbody", {}, data.items.map((h) => el("tr", {},
          el("td", {}, el("a", { href: `#/hits/${h.id}` }, h.plate)), el("td", {}, h.entry_plate),
          el("td", { title: h.camera_id }, ctx.cameraName(h.camera_id)), el("td", {}, fmtDateTime(h.observed_at)), el("td", {}, h.match_type)))))
        : el("p", { class: "muted" }, "No historical hits: past reads are matched when entries are added or a list is uploaded."));
    } catch (err) {
      clear(historyBox, el("p", { class: "muted" }, err.status === 403 ? "Your role cannot see hits." : err.message));
    }
  }

  function renderUpload() {
    if (!canManage) return;
    const form = el("form", { class: "stack", "data-testid": "upload-form" },
      el("div", { class: "form-grid" },
        el("label", {}, "List name", el("input", { name: "name", required: true, list: "hl-names",
          value: state.lists.find((l) => l.id === state.selected)?.name || "" })),
        el("datalist", { id: "hl-names" }),
        el("label", {}, "Format", el("select", { name: "format" },
          el("option", { value: "csv" }, "CSV with header"), el("option", { value: "delimited" }, "Delimited PLATE;STATE"),
          el("option", { value: "ncic" }, "NCIC fixed width")))),
      el("label", {}, "File", el("input", { name: "file", type: "file", required: true, accept: ".csv,.txt,.dat" })),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "replace" }), " Replace the whole list (daily refresh)"),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "skip_bad" }), " Import without bad lines (they are listed)"),
      el("button", { class: "btn btn-primary", type: "submit" }, "Upload"),
      el("div", { class: "upload-status", "data-testid": "upload-status" }));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); send(form); });
    clear(uploadBox, form);
  }

  async function send(form) {
    const f = form.elements;
    const status = form.querySelector(".upload-status");
    const bar = el("progress", { max: 1, value: 0 });
    clear(status, el("div", { class: "muted" }, "Uploading…"), bar);
    const data = new FormData();
    data.append("file", f.file.files[0]);
    data.append("name", f.name.value.trim());
    data.append("format", f.format.value);
    data.append("replace", f.replace.checked ? "true" : "false");
    data.append("skip_bad", f.skip_bad.checked ? "true" : "false");
    try {
      const res = await upload("/api/hotlists/import", data, (p) => { bar.value = p; if (p >= 1) status.firstChild.textContent = "Checking and importing…"; });
      clear(status, el("div", { class: "ok-text" },
        `✔ ${res.name}: ${res.added} added, ${res.updated} updated, ${res.removed} removed, ${res.historical_hits} historical hit(s)`),
      res.skipped_count ? lineErrors(`${res.skipped_count} line(s) skipped`, res.skipped) : "");
      state.selected = res.hotlist_id;
      loadLists();
    } catch (err) {
      const lines = err instanceof ApiError ? err.problems : [];
      clear(status, el("div", { class: "bad-text" }, `✖ Nothing imported: ${lines.length ? `${lines.length} bad line(s)` : err.message}`),
        lines.length ? lineErrors("Fix these lines and upload again", lines) : "");
    }
  }

  function lineErrors(title, lines) {
    return el("div", {}, el("div", { class: "muted" }, title),
      el("ol", { class: "line-errors", "data-testid": "line-errors" },
        lines.slice(0, 500).map((l) => el("li", {}, l.line !== undefined ? `line ${l.line}: ${l.reason || l.message}` : (l.message || JSON.stringify(l))))));
  }

  loadLists();
}
