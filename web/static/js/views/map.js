// The map: cameras with their state and view cone, plate reads and hits for a time window,
// gunshot alerts, mobile cameras' tracks. The base layer is the imported offline map when there
// is one (`rtcc map import`), else the bundled country outlines: no request leaves the server.
// Clicking a camera opens its video at the selected time: live when that is "now", else playback.

import { api, query } from "../api.js";
import { clear, el, fmtDateTime, stateBadge, toast } from "../dom.js";
import { EVENTS } from "../events.js";
import { gunshotPanel } from "./mapgunshot.js";
import { playbackHash } from "./playback.js";

const VENDOR = "/static/vendor";
const WINDOWS = [["15", "15 min"], ["60", "1 hour"], ["360", "6 hours"], ["1440", "24 hours"]];
const STATE_COLOURS = { online: "#3fb950", degraded: "#e3b341", starting: "#4aa3ff",
  offline: "#9aa7b4", error: "#f85149", failed: "#f85149" };
const REFRESH_MS = 30_000;
let libraries = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = el("script", { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });
}

/** Leaflet and topojson-client, vendored under /static/vendor, loaded once on first use. */
export function loadLibraries() {
  if (!libraries) {
    document.head.append(el("link", { rel: "stylesheet", href: `${VENDOR}/leaflet/leaflet.css` }));
    libraries = Promise.all([loadScript(`${VENDOR}/leaflet/leaflet.js`),
      loadScript(`${VENDOR}/topojson-client/topojson-client.min.js`)]);
  }
  return libraries;
}

export function mount(host, ctx, rest = []) {
  const perms = new Set(ctx.user.permissions || []);
  const windowSel = el("select", { "data-testid": "map-window", "aria-label": "time window" },
    WINDOWS.map(([v, t]) => el("option", { value: v, selected: v === "60" }, t)));
  const status = el("span", { class: "muted", "data-testid": "map-status" }, "loading map…");
  // The moment a camera click opens: empty is "now" (live video).
  const atInput = el("input", { type: "datetime-local", step: 1, "data-testid": "map-at", "aria-label": "video at" });
  const nowBtn = el("button", { type: "button", class: "btn", "data-testid": "map-now", onclick: () => { atInput.value = ""; } }, "Now");
  const mapNode = el("div", { class: "map", "data-testid": "map" });
  const side = el("aside", { class: "map-side", "data-testid": "map-side" },
    el("p", { class: "muted" }, "Click a camera or an alert for details."));
  host.append(el("div", { class: "pane-head" }, el("h2", {}, "Map"),
    el("label", { class: "inline" }, "Window ", windowSel),
    el("label", { class: "inline" }, "Video at ", atInput), nowBtn, status),
  el("div", { class: "map-layout" }, mapNode, side));

  const state = { stopped: false, map: null, L: null, groups: {}, markers: new Map(), offs: [] };

  /** The selected moment as ISO 8601, or null for "now". */
  function selectedAt() {
    const t = atInput.value ? new Date(atInput.value) : null;
    return t && !Number.isNaN(t.getTime()) && t.getTime() < Date.now() ? t.toISOString() : null;
  }

  function minutes() { return Number(windowSel.value); }
  function since() { return new Date(Date.now() - minutes() * 60_000).toISOString(); }

  async function baseLayer() {
    const { L, map } = state;
    const info = await api.get("/api/map/basemap");
    if (info.imported) {
      // Two zoom levels past the file's own (the map's zoom stops there): enlarged, not blank.
      L.tileLayer(info.tile_url, { minZoom: 0, maxNativeZoom: info.max_zoom, maxZoom: info.max_zoom + 2,
        className: "basemap-tiles", attribution: `${info.name} (sha256 ${info.sha256.slice(0, 12)}…)` }).addTo(map);
      mapNode.dataset.basemap = "imported";
      return;
    }
    const topo = await (await fetch(`${VENDOR}/world-atlas/countries-110m.json`)).json();
    const land = window.topojson.feature(topo, topo.objects.countries);
    L.geoJSON(land, { className: "basemap-outline", interactive: false,
      style: { color: "#3d4b5c", weight: 1, fillColor: "#1c232c", fillOpacity: 1 },
      attribution: "Natural Earth (world-atlas)" }).addTo(map);
    mapNode.dataset.basemap = "bundled";
  }

  function cameraPopup(cam) {
    const box = el("div", { class: "map-popup", "data-testid": "camera-popup" },
      el("strong", {}, cam.name), " ", stateBadge(cam.state),
      el("div", { class: "muted" }, cam.mobile ? "mobile (trailer)" : "fixed",
        cam.heading_deg !== null ? ` · facing ${Math.round(cam.heading_deg)}°` : ""));
    const actions = el("div", { class: "row" });
    if (perms.has("video:live")) {
      actions.append(el("button", { class: "btn", onclick: () => showLive(cam) }, "Live"));
    }
    if (perms.has("video:segments")) {
      actions.append(el("button", { class: "btn", onclick: () => showPlayback(cam) }, "Recordings"));
    }
    box.append(actions);
    return box;
  }

  /** A click on a camera: playback at the selected moment, or live video when that is now. */
  function openCamera(cam) {
    const at = selectedAt();
    if (at && perms.has("video:segments")) location.hash = playbackHash(cam.camera_id, at);
    else if (!at && perms.has("video:live")) showLive(cam);
  }

  function showLive(cam) {
    clear(side, el("h3", {}, `${cam.name} · live`),
      el("img", { class: "map-video", "data-testid": "map-live", alt: `live view ${cam.name}`,
        src: `/api/cameras/${encodeURIComponent(cam.camera_id)}/stream.mjpeg?fps=2` }));
  }

  async function showPlayback(cam) {
    const end = new Date();
    const start = new Date(end.getTime() - minutes() * 60_000);
    clear(side, el("h3", {}, `${cam.name} · recordings`), el("p", { class: "muted" }, "loading…"));
    try {
      const segs = await api.get(`/api/cameras/${encodeURIComponent(cam.camera_id)}/segments${query({ start: start.toISOString(), end: end.toISOString() })}`);
      clear(side, el("h3", {}, `${cam.name} · recordings in the window`),
        segs.length ? el("ul", { class: "plain" }, segs.map((s) => el("li", {},
          el("a", { href: s.url, target: "_blank" }, `${fmtDateTime(s.start_at)} – ${fmtDateTime(s.end_at)}`))))
          : el("p", { class: "muted" }, "No recordings in this window."));
    } catch (err) { toast(`Recordings: ${err.message}`, "error"); }
  }

  function drawCameras(items) {
    const { L, groups } = state;
    groups.cameras.clearLayers();
    groups.cones.clearLayers();
    for (const cam of items) {
      if (cam.latitude === null) continue;
      const colour = STATE_COLOURS[cam.state] || "#9aa7b4";
      if (cam.cone) {
        L.polygon(cam.cone, { className: `cam-cone cone-${cam.camera_id}`, color: colour, weight: 1,
          fillOpacity: 0.15, interactive: false }).addTo(groups.cones);
      }
      const marker = L.circleMarker([cam.latitude, cam.longitude], { radius: 7, color: "#0d1117",
        weight: 2, fillColor: colour, fillOpacity: 1,
        className: `cam-marker cam-${cam.camera_id} state-${cam.state}${cam.mobile ? " mobile" : ""}` })
        .bindPopup(() => cameraPopup(cam)).bindTooltip(cam.name).on("click", () => openCamera(cam));
      marker.addTo(groups.cameras);
      state.markers.set(cam.camera_id, { marker, cam });
    }
  }

  function drawPoints(group, items, cls, colour, label) {
    group.clearLayers();
    for (const it of items) {
      state.L.circleMarker([it.latitude, it.longitude], { radius: 4, weight: 1, color: colour,
        fillColor: colour, fillOpacity: 0.8, className: cls }).bindTooltip(label(it)).addTo(group);
    }
  }

  async function drawTracks(cams) {
    const { L, groups } = state;
    groups.tracks.clearLayers();
    for (const cam of cams.filter((c) => c.mobile)) {
      const track = await api.get(`/api/cameras/${encodeURIComponent(cam.camera_id)}/track${query({ since: since() })}`);
      if (track.items.length < 2) continue;
      L.polyline(track.items.map((p) => [p.latitude, p.longitude]), { className: `track track-${cam.camera_id}`,
        color: "#4aa3ff", weight: 3, dashArray: "6 4" }).bindTooltip(`${cam.name}: ${track.count} positions`).addTo(groups.tracks);
    }
  }

  function addGunshot(g) {
    const key = `${g.source}/${g.alert_id}`;
    const old = state.markers.get(`gunshot:${key}`);
    if (old) state.groups.gunshots.removeLayer(old.marker);
    const marker = state.L.circleMarker([g.latitude, g.longitude], { radius: 10, weight: 3, color: "#ff5a4a",
      fillColor: "#ff5a4a", fillOpacity: 0.35, className: "gunshot-marker" })
      .bindTooltip(`${g.alert_type.replace("_", " ")} · ${g.rounds ?? "?"} rounds · ${fmtDateTime(g.detected_at)}`)
      .on("click", () => openGunshot(g.source, g.alert_id));
    marker.addTo(state.groups.gunshots);
    state.markers.set(`gunshot:${key}`, { marker, cam: null });
  }

  function openGunshot(source, alertId) {
    gunshotPanel(side, { source, alertId, perms, onLoaded: (alert) => state.map.setView([alert.latitude, alert.longitude], 17) });
  }

  async function refresh() {
    const cams = (await api.get("/api/map/cameras")).items;
    drawCameras(cams);
    const counts = [`${cams.length} camera(s)`];
    if (perms.has("reads:live")) {
      const reads = await api.get(`/api/map/reads${query({ since: since() })}`);
      drawPoints(state.groups.reads, reads.items, "read-marker", "#9aa7b4", (r) => `${r.plate} · ${fmtDateTime(r.observed_at)}`);
      counts.push(`${reads.count} read(s)`);
    }
    if (perms.has("hits:view")) {
      const hits = await api.get(`/api/map/hits${query({ since: since() })}`);
      drawPoints(state.groups.hits, hits.items, "hit-marker", "#ff5a4a", (h) => `HIT ${h.plate} · ${h.hotlist}`);
      counts.push(`${hits.count} hit(s)`);
    }
    if (perms.has("gunshots:view")) {
      state.groups.gunshots.clearLayers();
      const shots = await api.get(`/api/gunshots${query({ since: since() })}`);
      shots.items.forEach(addGunshot);
      counts.push(`${shots.count} gunshot alert(s)`);
    }
    await drawTracks(cams);
    state.groups.cameras.eachLayer((m) => m.bringToFront()); // redrawn layers never cover a camera
    status.textContent = counts.join(" · ");
    return cams;
  }

  async function build() {
    await loadLibraries();
    if (state.stopped) return;
    const L = window.L;
    const map = L.map(mapNode, { zoomControl: true }).setView([20, 0], 2);
    Object.assign(state, { L, map });
    await baseLayer();
    for (const name of ["cones", "tracks", "reads", "hits", "gunshots", "cameras"]) state.groups[name] = L.layerGroup().addTo(map);
    L.control.layers(null, { "Cameras": state.groups.cameras, "View cones": state.groups.cones,
      "Reads": state.groups.reads, "Hits": state.groups.hits, "Gunshot alerts": state.groups.gunshots,
      "Trailer tracks": state.groups.tracks }).addTo(map);
    const cams = await refresh();
    const placed = cams.filter((c) => c.latitude !== null).map((c) => [c.latitude, c.longitude]);
    if (placed.length) map.fitBounds(placed, { padding: [40, 40], maxZoom: 17 });
    if (rest[0] === "gunshot" && rest[1] && rest[2]) openGunshot(decodeURIComponent(rest[1]), decodeURIComponent(rest[2]));
    mapNode.dataset.ready = "1";
  }

  state.offs.push(ctx.live.on(EVENTS.GUNSHOT, (g) => { if (state.map) addGunshot(g); }));
  state.offs.push(ctx.live.on(EVENTS.CAMERA_STATUS, (m) => {
    const known = state.markers.get(m.camera_id);
    if (!known) return;
    known.cam = { ...known.cam, state: m.state };
    known.marker.setStyle({ fillColor: STATE_COLOURS[m.state] || "#9aa7b4" });
  }));
  windowSel.addEventListener("change", () => refresh().catch((err) => toast(`Map: ${err.message}`, "error")));
  const timer = setInterval(() => { if (state.map) refresh().catch(() => {}); }, REFRESH_MS);
  build().catch((err) => { status.textContent = `Map unavailable: ${err.message}`; toast(`Map: ${err.message}`, "error"); });
  return () => {
    state.stopped = true;
    clearInterval(timer);
    state.offs.forEach((off) => off());
    if (state.map) state.map.remove();
  };
}
