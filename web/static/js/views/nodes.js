// Camera nodes (cameras:manage): every configured or heartbeating node with its host, heartbeat
// age, the cameras it runs, CPU, version and outbox backlog, from GET /api/nodes (refreshed
// every 5 s). Without a bus everything runs in the server itself and the list is empty.

import { api } from "../api.js";
import { clear, el, stateBadge } from "../dom.js";

export const REFRESH_MS = 5000;

function age(s) {
  if (s === null || s === undefined) return "never";
  return s < 60 ? `${s.toFixed(1)} s ago` : `${Math.round(s / 60)} min ago`;
}

function row(n) {
  return el("tr", { "data-node": n.id },
    el("td", {}, el("strong", {}, n.id), n.configured ? "" : el("div", { class: "meta" }, "not in the settings")),
    el("td", {}, stateBadge(n.alive ? "online" : "offline", n.alive ? null : "no heartbeat")),
    el("td", {}, n.host || "—"),
    el("td", { "data-testid": "heartbeat-age", class: n.alive ? "" : "warn-text" }, age(n.heartbeat_age_s)),
    el("td", { class: "num", "data-testid": "camera-count" }, n.cameras.length),
    el("td", { class: "meta", style: "max-width:28rem" }, n.cameras.join(", ") || "—"),
    el("td", { class: "num" }, n.cpu === null || n.cpu === undefined ? "—" : `${Math.round(n.cpu)}%`),
    el("td", { class: "num" }, n.outbox ?? "—"),
    el("td", {}, n.version || "—"));
}

export function mount(host) {
  const table = el("div", { "data-testid": "nodes-table" });
  host.append(el("section", { class: "pane" },
    el("div", { class: "pane-head" }, el("h2", {}, "Camera nodes"),
      el("span", { class: "muted" }, "Heartbeats through the bus; cameras move off a node that stops")),
    table));

  async function load() {
    try {
      const nodes = await api.get("/api/nodes");
      clear(table, nodes.length ? el("table", { class: "table" },
        el("thead", {}, el("tr", {}, ["Node", "State", "Host", "Heartbeat", "Cameras", "Running", "CPU", "Outbox", "Version"]
          .map((h) => el("th", {}, h)))),
        el("tbody", {}, nodes.map(row)))
        : el("p", { class: "muted", "data-testid": "no-nodes" }, "No camera nodes: every camera runs in the server."));
    } catch (err) { clear(table, el("p", { class: "bad-text" }, `Nodes unavailable: ${err.message}`)); }
  }

  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}
