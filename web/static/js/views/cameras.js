// Cameras (admins, supervisors): health, uptime over 24 h, offline intervals, last error.

import { api } from "../api.js";
import { clear, el, fmtAgo, fmtDateTime, fmtDuration, stateBadge, toast } from "../dom.js";
import { EVENTS } from "../events.js";

export function mount(host, ctx) {
  const table = el("div", { "data-testid": "cameras-table" });
  const detail = el("div");
  host.append(el("div", { class: "stack" },
    el("section", { class: "pane" }, el("div", { class: "pane-head" }, el("h2", {}, "Camera health"),
      el("span", { class: "muted" }, "Uptime over the last 24 hours")), table),
    el("section", { class: "pane" }, detail)));
  let selected = null;

  async function load() {
    try {
      const list = await api.get("/api/cameras");
      const full = await Promise.all(list.map((c) => api.get(`/api/cameras/${encodeURIComponent(c.camera_id)}`).catch(() => c)));
      render(full);
    } catch (err) { toast(`Cameras: ${err.message}`, "error"); }
  }

  function uptimeCell(ratio) {
    if (ratio === null || ratio === undefined) return el("span", { class: "muted" }, "no data");
    const p = Math.round(ratio * 1000) / 10;
    return el("div", { style: "display:flex;gap:.5rem;align-items:center" },
      el("div", { class: "uptime", title: `${p}% up` }, el("span", { style: `width:${p}%` })), `${p}%`);
  }

  function render(cams) {
    if (!selected && cams.length) selected = cams[0].camera_id;
    clear(table, el("table", { class: "table" },
      el("thead", {}, el("tr", {}, ["Camera", "State", "Since", "Uptime 24 h", "Analysed fps", "Input fps", "Reconnects", "Last frame", "Last error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, cams.map((c) => el("tr", { class: c.camera_id === selected ? "selected" : "", style: "cursor:pointer", "data-camera": c.camera_id,
        onclick: () => { selected = c.camera_id; render(cams); } },
      el("td", {}, el("strong", {}, c.name), el("div", { class: "meta" }, c.camera_id)),
      el("td", {}, stateBadge(c.state)),
      el("td", {}, c.since ? `${fmtDateTime(c.since)}` : "—", el("div", { class: "meta" }, fmtAgo(c.since))),
      el("td", {}, uptimeCell(c.uptime_24h)),
      el("td", { class: "num" }, (c.analysed_fps ?? 0).toFixed(1)),
      el("td", { class: "num" }, (c.input_fps ?? 0).toFixed(1)),
      el("td", { class: "num" }, c.reconnects ?? 0),
      el("td", {}, c.last_frame_at ? fmtAgo(c.last_frame_at) : "never"),
      el("td", { class: c.last_error ? "bad-text" : "muted", style: "max-width:28rem" }, c.last_error || "none"))))));
    const cam = cams.find((c) => c.camera_id === selected);
    if (!cam) return clear(detail);
    const intervals = cam.offline_intervals || [];
    clear(detail, el("div", { class: "pane-head" }, el("h2", {}, `${cam.name} — offline intervals (24 h)`)),
      timeline(cam),
      intervals.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["From", "To", "Duration", "State"].map((h) => el("th", {}, h)))),
        el("tbody", {}, intervals.map((i) => {
          const end = i.end ? new Date(i.end) : new Date();
          return el("tr", {}, el("td", {}, fmtDateTime(i.start)), el("td", {}, i.end ? fmtDateTime(i.end) : "ongoing"),
            el("td", {}, fmtDuration((end - new Date(i.start)) / 1000)), el("td", {}, stateBadge(i.state)));
        })))
        : el("p", { class: "ok-text" }, "✔ No offline intervals in the last 24 hours."));
  }

  /** A 24 h strip: green where up, red hatched where offline (with a legend in words). */
  function timeline(cam) {
    const w = cam.uptime_window;
    if (!w) return "";
    const t0 = new Date(w.start).getTime();
    const t1 = new Date(w.end).getTime();
    const span = Math.max(1, t1 - t0);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 1000 36");
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `24 hour availability of ${cam.name}`);
    const rect = (x, width, fill) => {
      const r = document.createElementNS(ns, "rect");
      Object.entries({ x, y: 0, width: Math.max(1, width), height: 18, fill }).forEach(([k, v]) => r.setAttribute(k, v));
      svg.append(r);
    };
    rect(0, 1000, "#2ea043");
    for (const i of cam.offline_intervals || []) {
      const a = Math.max(t0, new Date(i.start).getTime());
      const b = i.end ? new Date(i.end).getTime() : t1;
      rect(((a - t0) / span) * 1000, ((b - a) / span) * 1000, "#f85149");
    }
    for (const [x, label] of [[0, "24 h ago"], [500, "12 h ago"], [1000, "now"]]) {
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", x);
      t.setAttribute("y", 33);
      t.setAttribute("text-anchor", x === 0 ? "start" : x === 1000 ? "end" : "middle");
      t.textContent = label;
      svg.append(t);
    }
    return el("div", {}, svg, el("div", { class: "legend" },
      el("span", {}, el("span", { class: "sw", style: "background:#2ea043" }), "up"),
      el("span", {}, el("span", { class: "sw", style: "background:#f85149" }), "offline / error")));
  }

  const off = ctx.live.on(EVENTS.CAMERA_STATUS, () => load());
  const timer = setInterval(load, 30_000);
  load();
  return () => { off(); clearInterval(timer); };
}
