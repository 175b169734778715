// Hits: a work queue ordered by priority, the selected hit in full, keyboard-driven.

import { $, clear, el, fmtAgo, fmtTime, img, priorityBadge, toast } from "../dom.js";
import { askAction, renderDetail, sendAction } from "./hitdetail.js";

const FILTERS = [["open", "Open"], ["confirmed", "Confirmed"], ["rejected", "Rejected"], ["all", "All"]];

export function mount(host, ctx, [idPart]) {
  const store = ctx.hits;
  const state = { filter: "open", selected: idPart ? Number(idPart) : null, busy: false, detailFor: null };
  const canAct = (ctx.user.permissions || []).includes("hits:act");
  const canExport = (ctx.user.permissions || []).includes("evidence:export");
  const canVideo = (ctx.user.permissions || []).includes("video:segments");
  const queue = el("ol", { class: "queue", "data-testid": "hit-queue", role: "listbox", "aria-label": "Hits" });
  const detail = el("div", { class: "detail-pane" });
  const tabs = el("div", { class: "tabs", role: "tablist" });
  host.append(el("div", { class: "split" },
    el("section", { class: "pane queue-pane" },
      el("div", { class: "pane-head" }, el("h2", {}, "Hits"), tabs),
      queue,
      el("p", { class: "shortcuts" }, el("kbd", {}, "J"), "/", el("kbd", {}, "K"), " move · ",
        el("kbd", {}, "A"), " acknowledge · ", el("kbd", {}, "C"), " confirm · ", el("kbd", {}, "R"), " reject · ",
        el("kbd", {}, "N"), " note · ", el("kbd", {}, "M"), " mute")),
    el("section", { class: "pane" }, detail)));

  function visible() { return store.sorted({ status: state.filter }); }

  function renderTabs() {
    clear(tabs, FILTERS.map(([id, label]) => el("button", {
      class: `tab ${state.filter === id ? "active" : ""}`, role: "tab", "aria-selected": String(state.filter === id),
      onclick: () => { state.filter = id; render(); },
    }, label, id === "open" ? ` (${store.sorted({ status: "open" }).length})` : "")));
  }

  function renderQueue() {
    const list = visible();
    if (state.selected === null && list.length) state.selected = list[0].id;
    clear(queue, list.length ? list.map((h) => el("li", {
      class: `qi st-${h.status} ${h.id === state.selected ? "selected" : ""}`, role: "option",
      "aria-selected": String(h.id === state.selected), "data-hit-id": h.id, "data-plate": h.plate, tabindex: -1,
      onclick: () => select(h.id),
    },
    img(h.crop_url, `plate ${h.plate}`, "qi-crop"),
    el("div", { class: "qi-main" },
      el("div", { class: "qi-top" }, el("span", { class: "plate" }, h.plate), priorityBadge(h.priority)),
      el("div", { class: "meta", title: h.camera_id }, `${h.hotlist} · ${ctx.cameraName(h.camera_id)}`),
      el("div", { class: "meta" }, `${fmtTime(h.observed_at)} · ${fmtAgo(h.observed_at)}`,
        h.needs_confirmation ? el("span", { class: "warn-text" }, " · check visually") : "")),
    el("span", { class: `status-chip st-${h.status}` }, h.status.toUpperCase())))
      : el("li", { class: "empty" }, store.loaded ? "No hits in this list. New hits appear here at once." : "Loading hits…"));
  }

  async function renderDetailPane() {
    const hit = state.selected !== null ? store.hits.get(state.selected) : null;
    if (!hit) {
      clear(detail, el("div", { class: "empty" }, state.selected !== null && !store.loaded ? "Loading…" : "Select a hit to see it in full."));
      return;
    }
    clear(detail, renderDetail(hit, { act, canAct, canExport, canVideo }));
    if (state.detailFor !== hit.id) {
      state.detailFor = hit.id;
      try {
        await store.detail(hit.id);
        if (state.selected === hit.id) clear(detail, renderDetail(store.hits.get(hit.id), { act, canAct, canExport, canVideo }));
      } catch (err) {
        if (err.status !== 404) toast(`Hit details: ${err.message}`, "error");
      }
    }
  }

  function render() {
    renderTabs();
    renderQueue();
    renderDetailPane();
  }

  function select(id) {
    state.selected = id;
    history.replaceState(null, "", `#/hits/${id}`);
    render();
    queue.querySelector(".selected")?.scrollIntoView({ block: "nearest" });
  }

  function move(delta) {
    const list = visible();
    if (!list.length) return;
    const i = list.findIndex((h) => h.id === state.selected);
    const next = list[Math.max(0, Math.min(list.length - 1, (i < 0 ? 0 : i + delta)))];
    select(next.id);
  }

  async function act(kind) {
    const hit = store.hits.get(state.selected);
    if (!hit || state.busy || !canAct) return;
    let body = {};
    if (kind !== "acknowledge") {
      body = await askAction(kind, hit);
      if (body === null) return;
    }
    state.busy = true;
    try {
      // The workflow is new → acknowledged → confirmed: confirming a new hit acknowledges it first.
      if (kind === "confirm" && hit.status === "new" && !(await sendAction("acknowledge", hit, {}, { quiet: true }))) return;
      const res = await sendAction(kind, hit, body);
      if (res && typeof res === "object" && res.id === hit.id) store.onHitUpdated(res);
      else if (res?.hit?.id === hit.id) store.onHitUpdated(res.hit);
      state.detailFor = null;
      render();
    } finally {
      state.busy = false;
    }
  }

  function onKey(ev) {
    if (ev.target.closest("input, textarea, select, dialog") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key.toLowerCase();
    const map = { j: () => move(1), arrowdown: () => move(1), k: () => move(-1), arrowup: () => move(-1),
      a: () => act("acknowledge"), c: () => act("confirm"), r: () => act("reject"), n: () => act("note") };
    if (map[k]) { ev.preventDefault(); map[k](); }
  }

  const unsub = store.subscribe(() => render());
  document.addEventListener("keydown", onKey);
  const ticker = setInterval(renderQueue, 15_000);
  if (!store.loaded) store.refresh().catch((err) => toast(`Could not load hits: ${err.message}`, "error"));
  render();
  return () => { unsub(); clearInterval(ticker); document.removeEventListener("keydown", onKey); };
}
