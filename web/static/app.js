// Minimal live console: reads, hits and camera status from /ws/events.
const $ = (id) => document.getElementById(id);
const MAX_ITEMS = 200;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function time(iso) { return new Date(iso).toLocaleTimeString(); }

function prepend(list, item) {
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastChild.remove();
}

function onRead(m) {
  const img = m.crop_url ? el("img", { src: m.crop_url, alt: `plate ${m.plate}` }) : el("span");
  prepend($("reads"), el("li", { "data-plate": m.plate }, img,
    el("div", {}, el("div", { class: "plate" }, m.plate),
      el("div", { class: "meta" }, `${m.camera_id} · ${time(m.observed_at)} · ${(m.confidence * 100).toFixed(0)}%`))));
}

function onHit(m) {
  const img = m.snapshot_url ? el("img", { src: m.crop_url || m.snapshot_url, alt: `hit ${m.plate}` }) : el("span");
  prepend($("hits"), el("li", { class: "hit", "data-plate": m.plate }, img,
    el("div", {}, el("div", { class: "plate" }, m.plate),
      el("div", { class: "meta" }, `${m.hotlist} · ${m.reason ?? ""} · ${m.camera_id} · ${time(m.observed_at)}`))));
  const banner = $("banner");
  banner.textContent = `HIT ${m.plate} on ${m.hotlist} at ${m.camera_id}`;
  banner.hidden = false;
}

const cams = new Map();
function onCamera(m) {
  cams.set(m.camera_id, m);
  $("cameras").replaceChildren(...[...cams.values()].map((c) =>
    el("li", {}, `${c.name}: `, el("span", { class: `state-${c.state}` }, c.state),
      c.last_error ? el("div", { class: "meta" }, c.last_error) : "")));
}

let backoff = 500;
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/events`);
  ws.onopen = () => { backoff = 500; $("conn").textContent = "live"; $("conn").className = "conn up"; };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "read") onRead(m);
    else if (m.type === "hit") onHit(m);
    else if (m.type === "camera_status") onCamera(m);
  };
  ws.onclose = () => {
    $("conn").textContent = "reconnecting…"; $("conn").className = "conn down";
    setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 15000);
  };
}

fetch("/api/cameras").then((r) => r.ok ? r.json() : []).then((list) => list.forEach(onCamera));
connect();
