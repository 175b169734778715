// The /ws/events connection: reconnects with jittered exponential backoff and tells
// listeners when it is (re)connected so views can catch up on what they missed.

import { isKnown } from "./events.js";

const MIN_DELAY = 500;
const MAX_DELAY = 15_000;

export class LiveConnection {
  constructor({ onStatus = () => {}, onUnauthorized = () => {} } = {}) {
    this.handlers = new Map();
    this.reconnectHandlers = new Set();
    this.onStatus = onStatus;
    this.onUnauthorized = onUnauthorized;
    this.delay = MIN_DELAY;
    this.ws = null;
    this.timer = null;
    this.stopped = true;
    this.everConnected = false;
    this.lastMessageAt = null;
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }

  /** fn(isReconnect) runs on every successful (re)connection. */
  onConnected(fn) {
    this.reconnectHandlers.add(fn);
    return () => this.reconnectHandlers.delete(fn);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
    this.onStatus({ state: "offline" });
  }

  retryNow() {
    clearTimeout(this.timer);
    this.delay = MIN_DELAY;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    this.onStatus({ state: "connecting" });
    // batch=1: the events waiting together arrive as one frame, a JSON array.
    const ws = new WebSocket(`${proto}://${location.host}/ws/events?batch=1`);
    this.ws = ws;
    ws.onopen = () => {
      const again = this.everConnected;
      this.everConnected = true;
      this.delay = MIN_DELAY;
      this.onStatus({ state: "live" });
      for (const fn of this.reconnectHandlers) fn(again);
    };
    ws.onmessage = (ev) => {
      this.lastMessageAt = Date.now();
      let parsed;
      try { parsed = JSON.parse(ev.data); } catch { return; }
      for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!isKnown(msg)) continue;  // an event this console does not know: ignore it
        for (const fn of this.handlers.get(msg.type) || []) fn(msg);
        for (const fn of this.handlers.get("*") || []) fn(msg);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4401) { this.stopped = true; this.onUnauthorized(); return; }
      if (this.stopped) return;
      this.schedule();
    };
  }

  schedule() {
    const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
    this.onStatus({ state: "reconnecting", retryAt: Date.now() + wait });
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
