// The hits everyone's views share: loaded from /api/hits, kept current by `hit` and
// `hit_updated` events, and caught up after a reconnect (new ids raise the alert).
// The server decides what alerts (`alert` on the event: a live pass, a re-alert after the
// quiet period, a historical hit only on lists that ask); a handled hit tells every console.

import { api } from "./api.js";

const STATUS_ORDER = { new: 0, acknowledged: 1, confirmed: 2, rejected: 3 };

export class HitStore {
  constructor() {
    this.hits = new Map();
    this.listeners = new Set();
    this.alertListeners = new Set();
    this.handledListeners = new Set();
    this.alerted = new Set();  // each hit raises the alert once, however it reached us
    this.lastSeenAt = null;
    this.loaded = false;
  }

  subscribe(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  onAlert(fn) { this.alertListeners.add(fn); return () => this.alertListeners.delete(fn); }
  onHandled(fn) { this.handledListeners.add(fn); return () => this.handledListeners.delete(fn); }
  emit(changedId) { for (const fn of this.listeners) fn(changedId); }

  /** Ordered for a work queue: open first, then priority, then newest. */
  sorted({ status = "open" } = {}) {
    let list = [...this.hits.values()];
    if (status === "open") list = list.filter((h) => h.status === "new" || h.status === "acknowledged");
    else if (status !== "all") list = list.filter((h) => h.status === status);
    return list.sort((a, b) =>
      (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
      (b.priority ?? 0) - (a.priority ?? 0) ||
      String(b.observed_at).localeCompare(String(a.observed_at)));
  }

  get openCount() {
    return [...this.hits.values()].filter((h) => h.status === "new").length;
  }

  put(hit) {
    const old = this.hits.get(hit.id);
    this.hits.set(hit.id, { ...(old || {}), ...hit });
    if (hit.observed_at && (!this.lastSeenAt || hit.observed_at > this.lastSeenAt)) {
      this.lastSeenAt = hit.observed_at;
    }
  }

  /** Initial load, and after a reconnect: unhandled hits not alerted yet raise the alert. */
  async refresh({ alertNew = false } = {}) {
    const data = await api.get("/api/hits", { limit: 200 });
    const fresh = [];
    for (const hit of data.items || []) {
      this.put(hit);
      if (alertNew && this.needsAlert(hit)) fresh.push(hit);
    }
    this.loaded = true;
    this.emit(null);
    fresh.sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
    for (const hit of fresh.reverse()) this.alert(hit);
    return fresh.length;
  }

  /** A hit from the list (no `alert` flag): new, live, not alerted yet. From an event: as the
   * server says, once per hit. */
  needsAlert(hit) {
    if (hit.status !== "new" || this.alerted.has(hit.id)) return false;
    return hit.alert === undefined ? !hit.historical : hit.alert === true;
  }

  onHitEvent(msg) {
    this.put(msg);
    this.emit(msg.id);
    if (this.needsAlert(msg)) this.alert(msg);
  }

  onHitUpdated(msg) {
    this.put(msg);
    this.emit(msg.id);
    if (msg.status && msg.status !== "new") {
      for (const fn of this.handledListeners) fn(this.hits.get(msg.id) || msg);
    } else if (msg.alert === true) {
      this.alerted.delete(msg.id);  // the server raises it again (the car is back)
      this.alert(msg);
    }
  }

  alert(hit) {
    this.alerted.add(hit.id);
    for (const fn of this.alertListeners) fn(this.hits.get(hit.id) || hit);
  }

  async detail(id) {
    const full = await api.get(`/api/hits/${id}`);
    const hit = full.hit ? { ...full.hit, ...full } : full;
    this.put(hit);
    return this.hits.get(id);
  }
}
