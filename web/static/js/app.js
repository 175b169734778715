// Console shell: sign-in, role-aware navigation, hash routing, live connection, hit alerts.

import { ApiError, api, setCsrf, setUnauthorizedHandler } from "./api.js";
import { clearBanners, hitHandled, isMuted, setMuted, showHitBanner, unlockAudio } from "./alert.js";
import { $, clear, el, fmtTime, toast } from "./dom.js";
import { EVENTS, mismatch } from "./events.js";
import { showGunshotAlert } from "./gunshot.js";
import { clearSystemAlerts, reconcile, showSystemAlert } from "./systemalert.js";
import { HitStore } from "./hitstore.js";
import { LiveConnection } from "./live.js";
import { VIEWS, allowed } from "./views/index.js";
import { watchCameras, watchTiles } from "./camerawatch.js";
import { installTheme } from "./theme.js";
import { cameraName, loadCameraNames, useCameraMap } from "./cameranames.js";
import { setTzMode, tzLabel, tzMode } from "./timezone.js";

const ctx = { user: null, live: null, hits: null, navigate, cameras: new Map(), cameraName };
useCameraMap(ctx.cameras);
let current = { view: null, unmount: null };

function showLogin(message) {
  teardown();
  $("#app").hidden = true;
  $("#login-screen").hidden = false;
  const err = $("#login-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("#login-pass").value = "";
  $("#login-user").focus();
}

function teardown() {
  if (current.unmount) current.unmount();
  current = { view: null, unmount: null };
  if (ctx.live) ctx.live.stop();
  ctx.live = null;
  ctx.hits = null;
  ctx.user = null;
  clearBanners(openHit);
  clearSystemAlerts();
}

async function onLogin(ev) {
  ev.preventDefault();
  unlockAudio();
  const button = $("#login-submit");
  button.disabled = true;
  try {
    await api.post("/api/auth/login", { username: $("#login-user").value.trim(), password: $("#login-pass").value }, { silent401: true });
    await start();
  } catch (err) {
    showLogin(err instanceof ApiError ? err.message : String(err));
  } finally {
    button.disabled = false;
  }
}

async function start() {
  let me;
  try {
    me = await api.get("/api/auth/me", null, { silent401: true });
  } catch (err) {
    if (err.status === 401 || err.status === 403) return showLogin();
    return showLogin(`Cannot reach the server: ${err.message}`);
  }
  ctx.user = me;
  setCsrf(me.csrf_token);
  $("#login-screen").hidden = true;
  $("#app").hidden = false;
  $("#whoami").textContent = `${me.username} · ${(me.roles || []).join(", ")}`;
  buildNav();
  startLive();
  loadCameraNames(new Set(me.permissions || [])).then(() => ctx.hits?.emit(null));  // names, not ids
  route();
  checkEvents();
}

/** A page cached from before an upgrade says so instead of silently missing events. */
function checkEvents() {
  api.get("/api/meta").then((meta) => {
    const why = mismatch(meta);
    if (why) toast(`This page is out of date (${why}): reload it.`, "warn");
  }).catch(() => {});  // the live connection reports an unreachable server
}

function buildNav() {
  const nav = $("#nav");
  clear(nav, ...VIEWS.filter((v) => allowed(v, ctx.user)).map((v) =>
    el("a", { href: `#/${v.id}`, "data-view": v.id, title: `${v.title} (Alt+${v.key})` },
      v.title, v.id === "hits" ? el("span", { id: "hits-count", class: "count", hidden: true }) : "")));
}

function startLive() {
  const perms = new Set(ctx.user.permissions || []);
  ctx.live = new LiveConnection({ onStatus: showConnection, onUnauthorized: () => showLogin("Your session ended. Please sign in again.") });
  if (perms.has("hits:view")) {
    const store = new HitStore();
    ctx.hits = store;
    store.onAlert((hit) => showHitBanner(hit, { open: openHit }));
    store.onHandled((hit) => hitHandled(hit, openHit));  // handled anywhere: its banner goes
    store.subscribe(updateHitCount);
    ctx.live.on(EVENTS.HIT, (m) => store.onHitEvent(m));
    ctx.live.on(EVENTS.HIT_UPDATED, (m) => store.onHitUpdated(m));
    ctx.live.onConnected((again) => {
      // On sign-in too: unhandled hits raised before the console opened still need a person.
      store.refresh({ alertNew: true }).then((n) => { if (again && n) toast(`${n} hit(s) raised while disconnected`, "warn"); })
        .catch((err) => toast(`Could not load hits: ${err.message}`, "error"));
    });
  }
  watchCameras(ctx.live, ctx.cameras);  // before the map below updates: it compares states
  ctx.live.on(EVENTS.CAMERA_STATUS, (m) => ctx.cameras.set(m.camera_id, { ...(ctx.cameras.get(m.camera_id) || {}), ...m }));
  if (perms.has("gunshots:view")) {
    const alertPath = (x) => `gunshot/${encodeURIComponent(x.source)}/${encodeURIComponent(x.alert_id)}`;
    const openWall = perms.has("video:live") ? (x) => navigate(`#/wall/${alertPath(x)}`) : null;
    ctx.live.on(EVENTS.GUNSHOT, (g) => showGunshotAlert(g, { open: (x) => navigate(`#/map/${alertPath(x)}`), openWall }));
  }
  ctx.live.on(EVENTS.SYSTEM_ALERT, showSystemAlert);  // every signed-in role gets these
  ctx.live.onConnected(() => api.get("/api/health").then(reconcile).catch(() => {}));
  ctx.live.start();
}

function updateHitCount() {
  const badge = $("#hits-count");
  if (!badge || !ctx.hits) return;
  const n = ctx.hits.openCount;
  badge.hidden = n === 0;
  badge.textContent = String(n);
  badge.title = `${n} new hit(s)`;
}

function showConnection({ state, retryAt }) {
  const node = $("#conn");
  node.dataset.state = state;
  const text = { live: "● LIVE", connecting: "◌ CONNECTING…", offline: "○ OFFLINE" }[state];
  if (text) { node.textContent = text; return; }
  const secs = Math.max(0, Math.round((retryAt - Date.now()) / 1000));
  node.textContent = `▲ RECONNECTING${secs ? ` in ${secs}s` : "…"}`;
}

function openHit(hit) { navigate(`#/hits/${hit.id}`); }

export function navigate(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function defaultView() {
  const order = ["hits", "wall", "search", "audit", "users", "cameras", "hotlists", "reads"];
  for (const id of order) {
    const v = VIEWS.find((x) => x.id === id);
    if (allowed(v, ctx.user)) return v.id;
  }
  return null;
}

function route() {
  if (!ctx.user) return;
  const [, id, ...rest] = (location.hash || "").split("/");
  const viewId = id || defaultView();
  const view = VIEWS.find((v) => v.id === viewId);
  if (current.unmount) current.unmount();
  current = { view: null, unmount: null };
  const host = $("#view");
  clear(host);
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === viewId);
  if (!view) return clear(host, el("div", { class: "empty" }, "Nothing here. Choose a view above."));
  if (!allowed(view, ctx.user)) {
    return clear(host, el("div", { class: "denied", "data-testid": "denied" },
      el("h2", {}, "Not available for your role"),
      el("p", {}, `The ${view.title} view needs the “${view.perm}” permission, which your role (${ctx.user.roles.join(", ")}) does not have.`)));
  }
  document.title = `${view.title} · RTCC`;
  current = { view, unmount: view.module.mount(host, ctx, rest) || null };
}

function onKey(ev) {
  if (!ctx.user) return;
  const typing = ev.target.closest("input, textarea, select, [contenteditable]");
  if (ev.altKey && !ev.ctrlKey) {
    const view = VIEWS.find((v) => v.key === ev.key);
    if (view && allowed(view, ctx.user)) { ev.preventDefault(); navigate(`#/${view.id}`); }
    return;
  }
  if (!typing && !ev.ctrlKey && !ev.metaKey && (ev.key === "m" || ev.key === "M") && !current.view?.module.ownsKey?.("m")) {
    toggleMute();
  }
}

function toggleMute() {
  setMuted(!isMuted());
  renderMute();
}

function renderMute() {
  const b = $("#mute");
  b.textContent = isMuted() ? "✕ Sound muted" : "♪ Sound on";
  b.setAttribute("aria-pressed", String(isMuted()));
}

function tickClock() {
  $("#clock").textContent = `${fmtTime(new Date().toISOString())} ${tzLabel()}`;
  if (ctx.live && $("#conn").dataset.state === "reconnecting") {
    const node = $("#conn");
    const m = node.textContent.match(/in (\d+)s/);
    if (m) node.textContent = `▲ RECONNECTING in ${Math.max(0, Number(m[1]) - 1)}s`;
  }
}

async function logout() {
  try { await api.post("/api/auth/logout", {}); } catch { /* signed out either way */ }
  showLogin("Signed out.");
}

setUnauthorizedHandler(() => { if (ctx.user) showLogin("Your session ended. Please sign in again."); });
$("#login-form").addEventListener("submit", onLogin);
$("#logout").addEventListener("click", logout);
$("#mute").addEventListener("click", () => { unlockAudio(); toggleMute(); });
document.addEventListener("click", unlockAudio, { once: true });
document.addEventListener("keydown", onKey);
window.addEventListener("hashchange", route);
function renderTz() {
  const b = $("#tz");
  b.textContent = tzMode() === "utc" ? "UTC" : "Local";
  b.title = `Times are shown in ${tzMode() === "utc" ? "UTC" : `local time (${tzLabel()})`}: click to switch`;
}

$("#tz").addEventListener("click", () => { setTzMode(tzMode() === "utc" ? "local" : "utc"); renderTz(); tickClock(); route(); });
installTheme();
renderTz();
watchTiles();
setInterval(tickClock, 1000);
tickClock();
renderMute();
start();
