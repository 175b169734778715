// Camera health (everyone with cameras:view: admins, supervisors, auditors, …): every state by
// name with its reason, uptime over 24 h of the time known (server down and before the camera
// existed count as unknown, not up), offline intervals, last frame and last error.

import { api } from "../api.js";
import { clear, debounce, el, fmtAgo, fmtDateTime, fmtDuration, stateBadge, toast } from "../dom.js";
import { EVENTS } from "../events.js";
import { STALE_S } from "../camerawatch.js";
import { tzLabel } from "../timezone.js";

export function mount(host, ctx) {
  const table = el("div", { "data-testid": "cameras-table" });
  const detail = el("div");
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Camera health"),
      el("span", { class: "muted" }, "Uptime over the last 24 hours, of the time known")), table),
    el("section", { class: "pane" }, detail)));
  let selected = null;

  async function load() {
    try {
      const list = await api.get("/api/cameras");
      const full = await Promise.all(list.map((c) => api.get(`/api/cameras/${encodeURIComponent(c.camera_id)}`).catch(() => c)));
      render(full);
    } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
  }

  function uptimeCell(c) {
    const ratio = c.uptime_24h;
    const unknown = Math.round(((c.unknown_s ?? 0) / 864) * 10) / 10; // % of 24 h
    const note = unknown > 0 ? el("div", { class: "meta", "data-testid": "unknown-share" }, `${unknown}% of 24 h unknown`) : "";
    if (ratio === null || ratio === undefined) return el("div", {}, el("span", { class: "muted" }, "unknown"), note);
    const p = Math.round(ratio * 1000) / 10;
    return el("div", {}, el("div", { style: "display:flex;gap:.5rem;align-items:center" },
      el("div", { class: "uptime", title: `${p}% up of the time known` }, el("span", { style: `width:${p}%` })), `${p}%`), note);
  }

  function lastFrame(c) {
    if (!c.last_frame_at) return "never";
    const age = (Date.now() - new Date(c.last_frame_at).getTime()) / 1000;
    const stale = age > STALE_S && ["online", "degraded"].includes(c.state);
    return el("span", { class: stale ? "warn-text" : "", "data-stale": stale ? "1" : "" }, `${stale ? "◐ STALE · " : ""}${fmtAgo(c.last_frame_at)}`);
  }

  function render(cams) {
    if (!selected && cams.length) selected = cams[0].camera_id;
    clear(table, el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Camera", "State", "Why", `Since (${tzLabel()})`, "Uptime 24 h", "Analysed fps", "Input fps", "Reconnects", "Last frame", "Last error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, cams.map((c) => el("tr", { class: c.camera_id === selected ? "selected" : "", style: "cursor:pointer", "data-camera": c.camera_id,
        onclick: () => { selected = c.camera_id; render(cams); } },
      el("td", {}, el("strong", {}, c.name), el("div", { class: "meta" }, c.camera_id)),
      el("td", {}, stateBadge(c.state, c.reason)),
      el("td", { class: c.reason ? "warn-text" : "muted", "data-testid": "state-reason" }, c.reason || "—"),
      el("td", {}, c.since ? `${fmtDateTime(c.since)}` : "—", el("div", { class: "meta" }, fmtAgo(c.since))),
      el("td", {}, uptimeCell(c)),
      el("td", { class: "num" }, (c.analysed_fps ?? 0).toFixed(1)),
      el("td", { class: "num" }, (c.input_fps ?? 0).toFixed(1)),
      el("td", { class: "num" }, c.reconnects ?? 0),
      el("td", {}, lastFrame(c)),
      el("td", { class: c.last_error ? "bad-text" : "muted", style: "max-width:28rem" }, c.last_error || "none"))))));
    const cam = cams.find((c) => c.camera_id === selected);
    if (!cam) return clear(detail);
    const intervals = cam.offline_intervals || [];
    clear(detail, el("div", { class: "pane-head" }, el("h2", {}, `${cam.name} — offline intervals (24 h)`)),
      timeline(cam),
      intervals.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, [`From (${tzLabel()})`, `To (${tzLabel()})`, "Duration", "State"].map((h) => el("th", {}, h)))),
        el("tbody", {}, intervals.map((i) => {
          const end = i.end ? new Date(i.end) : new Date();
          return el("tr", {}, el("td", {}, fmtDateTime(i.start)), el("td", {}, i.end ? fmtDateTime(i.end) : "ongoing"),
            el("td", {}, fmtDuration((end - new Date(i.start)) / 1000)), el("td", {}, stateBadge(i.state)));
        })))
        : el("p", { class: "ok-text" }, "✔ No offline intervals in the last 24 hours."));
  }

  /** A 24 h strip coloured by state, unknown (server down, camera not yet there) in grey,
   * with a legend in words: colour is never the only signal. */
  function timeline(cam) {
    const w = cam.uptime_window;
    if (!w) return "";
    const t0 = new Date(w.start).getTime();
    const span = Math.max(1, new Date(w.end).getTime() - t0);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 1000 36");
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `24 hour availability of ${cam.name}`);
    for (const sp of cam.timeline || []) {
      const a = new Date(sp.start).getTime();
      const b = new Date(sp.end).getTime();
      const r = document.createElementNS(ns, "rect");
      const attrs = { x: ((a - t0) / span) * 1000, y: 0, width: Math.max(1, ((b - a) / span) * 1000), height: 18, class: `span-${sp.state}` };
      Object.entries(attrs).forEach(([k, v]) => r.setAttribute(k, v));
      const title = document.createElementNS(ns, "title");
      title.textContent = `${sp.state}: ${fmtDateTime(sp.start)} – ${fmtDateTime(sp.end)}`;
      r.append(title);
      svg.append(r);
    }
    for (const [x, label] of [[0, "24 h ago"], [500, "12 h ago"], [1000, "now"]]) {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", x);
      t.setAttribute("y", 33);
      t.setAttribute("text-anchor", x === 0 ? "start" : x === 1000 ? "end" : "middle");
      t.textContent = label;
      svg.append(t);
    }
    const key = (cls, word) => el("span", {}, el("span", { class: `sw ${cls}` }), word);
    return el("div", { "data-testid": "uptime-timeline" }, svg, el("div", { class: "legend" },
      key("sw-up", "online"), key("sw-degraded", "degraded"), key("sw-down", "offline / error / failed"),
      key("sw-unknown", "unknown (server not running, camera not yet added)")));
  }

  const reload = debounce(load, 1500);  // a degraded camera reports every 2 s
  const off = ctx.live.on(EVENTS.CAMERA_STATUS, () => reload());
  const timer = setInterval(load, 30_000);
  load();
  return () => { off(); clearInterval(timer); };
}
