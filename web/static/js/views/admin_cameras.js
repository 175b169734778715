// Camera management (admins, cameras:manage): the cameras in the database (the settings file
// seeds them), add, edit, disable and enable, with a connection test before saving.

import { api } from "../api.js";
import { clear, el, fmtDateTime, stateBadge, toast } from "../dom.js";

const PERM = "cameras:manage";
const act = (name, attrs, ...kids) => el("button", { type: "button", class: "btn btn-sm", "data-action": name, "data-perm": PERM, ...attrs }, ...kids);

function probeText(r) {
  if (!r.ok) return `✖ ${r.state.toUpperCase()}: ${r.message} (${r.elapsed_s.toFixed(1)} s)`;
  const size = r.width && r.height ? ` ${r.width}×${r.height}` : "";
  const fps = r.fps ? ` at ${r.fps} fps` : "";
  return `✔ ${r.message}: ${r.codec || "video"}${size}${fps} (${r.elapsed_s.toFixed(1)} s)`;
}

export function mount(host) {
  const table = el("div", { "data-testid": "admin-cameras" });
  host.append(el("section", { class: "pane" },
    el("div", { class: "pane-head" }, el("h2", {}, "Camera management"),
      el("span", { class: "muted" }, "Changes are audited; a camera's worker picks up its change on the node that runs it"),
      act("camera.create", { class: "btn btn-primary", onclick: () => editor(null) }, "+ Add camera")), table));
  let cams = [];

  async function load() {
    try { cams = await api.get("/api/admin/cameras"); render(); } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
  }

  function render() {
    clear(table, cams.length ? el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Camera", "State", "URL", "Site", "Analysis", "Origin", "Updated", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, cams.map((c) => el("tr", { "data-camera-admin": c.id, class: c.enabled ? "" : "row-disabled" },
        el("td", {}, el("strong", {}, c.name), el("div", { class: "meta" }, c.id)),
        el("td", {}, c.enabled ? stateBadge(c.state) : el("span", { class: "badge" }, "DISABLED")),
        el("td", { class: "meta url-cell" }, c.url || "—"),
        el("td", {}, c.site || "—"),
        el("td", {}, [c.lpr ? "plates" : "", c.record ? "recording" : ""].filter(Boolean).join(" · ") || "video only"),
        el("td", {}, c.origin),
        el("td", { class: "nowrap" }, fmtDateTime(c.updated_at)),
        el("td", { class: "nowrap" },
          act("camera.test", { onclick: (ev) => testSaved(c, ev.target) }, "Test"), " ",
          act("camera.edit", { onclick: () => editor(c) }, "Edit"), " ",
          c.enabled ? act("camera.disable", { class: "btn btn-sm btn-danger", onclick: () => disable(c) }, "Disable")
            : act("camera.enable", { class: "btn btn-sm btn-ok", onclick: () => enable(c) }, "Enable"))))))
      : el("p", { class: "muted" }, "No cameras yet: add one."));
  }

  async function testSaved(c, button) {
    button.disabled = true;
    try {
      const r = await api.post(`/api/admin/cameras/${encodeURIComponent(c.id)}/test`, {});
      toast(`${c.name}: ${probeText(r)}`, r.ok ? "ok" : "error");
    } catch (err) { toast(`${c.name}: ${err.message}`, "error"); } finally { button.disabled = false; }
  }

  async function disable(c) {
    try { await api.post(`/api/admin/cameras/${encodeURIComponent(c.id)}/disable`, {}); toast(`${c.name} disabled`, "ok"); load(); } catch (err) { toast(`${c.name}: ${err.message}`, "error"); }
  }

  async function enable(c) {
    try { await api.patch(`/api/admin/cameras/${encodeURIComponent(c.id)}`, { enabled: true }); toast(`${c.name} enabled`, "ok"); load(); } catch (err) { toast(`${c.name}: ${err.message}`, "error"); }
  }

  function editor(c) {
    const field = (label, name, attrs = {}) => el("label", {}, label, el("input", { name, value: c?.[name] ?? "", ...attrs }));
    const result = el("p", { class: "muted", "data-testid": "probe-result", role: "status" }, c ? "The URL is shown without its password: leave it to keep the saved one." : "Test the connection before saving.");
    const form = el("form", { class: "stack" },
      el("h2", {}, c ? `Edit ${c.name}` : "Add a camera"),
      el("div", { class: "form-grid" },
        c ? "" : field("Id (letters, digits, . _ -)", "id", { required: true, pattern: "[A-Za-z0-9_.\\-]+" }),
        field("Name", "name"), field("Site", "site"),
        el("label", { class: "wide" }, "Stream URL (rtsp://, http:// or a file)", el("input", { name: "url", value: c?.url ?? "", required: !c })),
        el("label", { class: "wide" }, "Substream URL for analysis (optional)", el("input", { name: "detect_url", value: c?.detect_url ?? "" })),
        field("Latitude", "lat", { type: "number", step: "any" }), field("Longitude", "lon", { type: "number", step: "any" }),
        field("Heading °", "heading", { type: "number", step: "any", min: 0, max: 359.9 })),
      el("div", { class: "toolbar" },
        el("label", { class: "check" }, el("input", { type: "checkbox", name: "lpr", checked: c ? c.lpr : true }), "Read plates"),
        el("label", { class: "check" }, el("input", { type: "checkbox", name: "record", checked: c ? c.record : true }), "Record")),
      result,
      el("div", { class: "dlg-actions" },
        el("button", { type: "button", class: "btn", "data-action": "camera.probe", "data-perm": PERM, onclick: () => probe() }, "Test connection"),
        el("button", { type: "button", class: "btn", onclick: () => dlg.close() }, "Cancel"),
        el("button", { type: "submit", class: "btn btn-primary" }, c ? "Save" : "Add")));
    const dlg = el("dialog", { class: "dlg dlg-wide", "data-testid": "dlg-camera" }, form);
    dlg.addEventListener("close", () => dlg.remove());
    form.addEventListener("submit", async (ev) => { ev.preventDefault(); if (await save()) dlg.close(); });
    document.body.append(dlg);
    dlg.showModal();

    async function probe() {
      const url = form.url.value.trim();
      result.textContent = "Testing…";
      try {
        const r = url ? await api.post("/api/admin/cameras/test", { url }) : await api.post(`/api/admin/cameras/${encodeURIComponent(c.id)}/test`, {});
        result.textContent = probeText(r);
        result.className = r.ok ? "ok-text" : "bad-text";
      } catch (err) { result.textContent = err.message; result.className = "bad-text"; }
    }

    async function save() {
      const num = (v) => (v === "" ? null : Number(v));
      const body = { name: form.name.value.trim() || undefined, site: form.site.value.trim() || null,
        detect_url: form.detect_url.value.trim() || null, lat: num(form.lat.value), lon: num(form.lon.value),
        heading: num(form.heading.value), lpr: form.lpr.checked, record: form.record.checked };
      const url = form.url.value.trim();
      if (url && url !== c?.url) body.url = url;
      try {
        if (c) await api.patch(`/api/admin/cameras/${encodeURIComponent(c.id)}`, body);
        else await api.post("/api/admin/cameras", { id: form.id.value.trim(), ...body, url });
        toast(`Camera ${c ? "saved" : "added"}`, "ok");
        load();
        return true;
      } catch (err) { toast(`Camera: ${err.message}`, "error"); return false; }
    }
  }

  load();
}
