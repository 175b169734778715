// Users (admins, users:manage): accounts, roles, camera and list assignments, API tokens, and
// the role → permission table the server enforces (from GET /api/meta, never hard-coded).

import { ApiError, api } from "../api.js";
import { clear, el, fmtDateTime, toast } from "../dom.js";

const act = (name, perm, attrs, ...kids) => el("button", { type: "button", class: "btn", "data-action": name, "data-perm": perm, ...attrs }, ...kids);

function problem(err) {
  const fields = err instanceof ApiError ? err.problems : [];
  return fields.length ? fields.map((f) => `${f.field || f.loc || ""}: ${f.message || f.msg || f}`).join("; ") : err.message;
}

export function mount(host, ctx) {
  const state = { users: [], meta: null, cameras: [], lists: [], selected: null };
  const listBox = el("div", { "data-testid": "users-table" });
  const editBox = el("div", { "data-testid": "user-editor" });
  const rolesBox = el("div", { "data-testid": "roles-table" });
  host.append(el("div", { class: "stack" },
    el("div", { class: "split split-auto" },
      el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Users"),
        act("user.create", "users:manage", { class: "btn btn-primary", onclick: () => createDialog() }, "+ New user")), listBox),
      el("section", { class: "pane" }, editBox)),
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Roles and permissions"),
      el("span", { class: "muted" }, "What each role may do, as the server enforces it")), rolesBox)));

  async function load() {
    try {
      const [users, meta, cams, lists] = await Promise.all([
        api.get("/api/users"), api.get("/api/meta"),
        api.get("/api/cameras").catch(() => []), api.get("/api/hotlists").catch(() => ({ items: [] }))]);
      Object.assign(state, { users: users.items, meta, cameras: cams, lists: lists.items });
      if (!state.selected && state.users.length) state.selected = state.users[0].username;
      render();
    } catch (err) { toast(`Users: ${err.message}`, "error"); }
  }

  function render() {
    clear(listBox, el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["User", "Roles", "Cameras", "Lists", "Status"].map((h) => el("th", {}, h)))),
      el("tbody", {}, state.users.map((u) => el("tr", { class: u.username === state.selected ? "selected" : "", "data-user": u.username,
        style: "cursor:pointer", onclick: () => { state.selected = u.username; render(); } },
      el("td", {}, el("strong", {}, u.username)), el("td", {}, u.roles.join(", ")),
      el("td", {}, u.cameras ? u.cameras.map((c) => ctx.cameraName(c)).join(", ") || "none" : "all"),
      el("td", {}, u.hotlists ? `${u.hotlists.length} assigned` : "all unrestricted"),
      el("td", {}, u.disabled ? el("span", { class: "bad-text" }, "disabled") : u.locked_until ? `locked until ${fmtDateTime(u.locked_until)}` : "active"))))));
    renderRoles();
    renderEditor();
  }

  function renderRoles() {
    const rp = state.meta?.role_permissions || {};
    const roles = Object.keys(rp);
    const perms = (state.meta?.permissions || []).filter((p) => roles.some((r) => rp[r].includes(p)));
    clear(rolesBox, el("table", { class: "table perm-table" },
      el("thead", {}, el("tr", {}, el("th", {}, "Permission"), roles.map((r) => el("th", {}, r)))),
      el("tbody", {}, perms.map((p) => el("tr", {}, el("td", {}, el("code", {}, p)),
        roles.map((r) => el("td", { class: "num" }, rp[r].includes(p) ? "✔" : "·")))))));
  }

  function checks(name, options, chosen) {
    return el("div", { class: "checks" }, options.map(([value, label]) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", name, value, checked: chosen.includes(value) }), label)));
  }

  function picked(form, name) { return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value); }

  function renderEditor() {
    const u = state.users.find((x) => x.username === state.selected);
    if (!u) return clear(editBox, el("p", { class: "muted" }, "Select a user."));
    const roles = (state.meta?.roles || []).map((r) => [r, r]);
    const form = el("form", { class: "stack", onsubmit: (ev) => { ev.preventDefault(); save(u, form); } },
      el("h3", {}, "Roles"), checks("roles", roles, u.roles),
      el("h3", {}, "Camera assignment"),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "allcams", checked: u.cameras === null }), "All cameras"),
      checks("cameras", state.cameras.map((c) => [c.camera_id, c.name]), u.cameras || []),
      el("h3", {}, "List assignment"),
      el("label", { class: "check" }, el("input", { type: "checkbox", name: "alllists", checked: u.hotlists === null }), "All unrestricted lists"),
      checks("hotlists", state.lists.map((l) => [String(l.id), l.name]), (u.hotlists || []).map(String)),
      el("div", { class: "toolbar" },
        el("button", { type: "submit", class: "btn btn-primary", "data-action": "user.save", "data-perm": "users:manage" }, "Save roles and assignments"),
        act(u.disabled ? "user.enable" : "user.disable", "users:manage", { class: u.disabled ? "btn btn-ok" : "btn btn-danger",
          onclick: () => patch(u, { disabled: !u.disabled }, u.disabled ? "enabled" : "disabled") }, u.disabled ? "Enable" : "Disable"),
        act("user.password", "users:manage", { onclick: () => passwordDialog(u) }, "Set password…")));
    const tokens = el("div", { "data-testid": "tokens" });
    clear(editBox, el("div", { class: "pane-head" }, el("h2", {}, `User ${u.username}`),
      el("span", { class: "muted" }, `created ${fmtDateTime(u.created_at)}`)), form,
    el("div", { class: "pane-head" }, el("h2", {}, "API tokens"),
      act("token.issue", "users:manage", { onclick: () => issue(u) }, "+ Issue token")), tokens);
    loadTokens(u, tokens);
  }

  async function save(u, form) {
    const body = { roles: picked(form, "roles") };
    body.cameras = form.allcams.checked ? null : picked(form, "cameras");
    body.hotlists = form.alllists.checked ? null : picked(form, "hotlists").map(Number);
    await patch(u, body, "saved");
  }

  async function patch(u, body, what) {
    try {
      await api.patch(`/api/users/${encodeURIComponent(u.username)}`, body);
      toast(`${u.username}: ${what}`, "ok");
      await load();
    } catch (err) { toast(`${u.username}: ${problem(err)}`, "error"); }
  }

  async function loadTokens(u, box) {
    try {
      const page = await api.get(`/api/users/${encodeURIComponent(u.username)}/tokens`);
      clear(box, page.items.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["Id", "Name", "Created", "Last used", "Expires", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, page.items.map((t) => el("tr", {}, el("td", {}, t.id), el("td", {}, t.name || "—"),
          el("td", {}, fmtDateTime(t.created_at)), el("td", {}, t.last_used_at ? fmtDateTime(t.last_used_at) : "never"),
          el("td", {}, t.revoked_at ? `revoked ${fmtDateTime(t.revoked_at)}` : fmtDateTime(t.expires_at)),
          el("td", {}, t.revoked_at ? "" : act("token.revoke", "users:manage", { class: "btn btn-sm btn-danger",
            onclick: () => revoke(u, t, box) }, "Revoke"))))))
        : el("p", { class: "muted" }, "No API tokens."));
    } catch (err) { clear(box, el("p", { class: "bad-text" }, err.message)); }
  }

  async function issue(u) {
    try {
      const t = await api.post(`/api/users/${encodeURIComponent(u.username)}/tokens`, { name: "console" });
      showSecret(u, t.token);
      renderEditor();
    } catch (err) { toast(`Token: ${problem(err)}`, "error"); }
  }

  async function revoke(u, t, box) {
    try { await api.del(`/api/tokens/${t.id}`); toast(`Token ${t.id} revoked`, "ok"); loadTokens(u, box); } catch (err) { toast(`Token: ${problem(err)}`, "error"); }
  }

  function dialog(title, body, onOk, okLabel = "Save") {
    const dlg = el("dialog", { class: "dlg", "data-testid": "dlg-admin" });
    const form = el("form", { onsubmit: async (ev) => { ev.preventDefault(); if (await onOk(form)) dlg.close(); } },
      el("h2", {}, title), body,
      el("div", { class: "dlg-actions" }, el("button", { type: "button", class: "btn", onclick: () => dlg.close() }, "Cancel"),
        el("button", { type: "submit", class: "btn btn-primary" }, okLabel)));
    dlg.append(form);
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    return dlg;
  }

  function createDialog() {
    const roles = (state.meta?.roles || []).map((r) => [r, r]);
    dialog("New user", el("div", { class: "stack" },
      el("label", {}, "Username", el("input", { name: "username", required: true, autocomplete: "off" })),
      el("label", {}, "Password (leave empty for a service account)", el("input", { name: "password", type: "password", autocomplete: "new-password" })),
      el("h3", {}, "Roles"), checks("roles", roles, [])), async (form) => {
      try {
        await api.post("/api/users", { username: form.username.value.trim(), roles: picked(form, "roles"), password: form.password.value || null });
        toast(`User ${form.username.value.trim()} created`, "ok");
        state.selected = form.username.value.trim();
        await load();
        return true;
      } catch (err) { toast(`New user: ${problem(err)}`, "error"); return false; }
    }, "Create");
  }

  function passwordDialog(u) {
    dialog(`Password for ${u.username}`, el("label", {}, "New password", el("input", { name: "password", type: "password", required: true, autocomplete: "new-password" })), async (form) => {
      try { await api.post(`/api/users/${encodeURIComponent(u.username)}/password`, { password: form.password.value }); toast(`${u.username}: password set`, "ok"); return true; } catch (err) { toast(`Password: ${problem(err)}`, "error"); return false; }
    });
  }

  function showSecret(u, secret) {
    dialog(`API token for ${u.username}`, el("div", { class: "stack" }, el("p", {}, "Copy it now: it is shown only once."),
      el("input", { value: secret, readonly: true, "data-testid": "token-secret" })), async () => true, "Done");
  }

  load();
}
