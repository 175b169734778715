// The events /ws/events sends, by name: the one place the console spells them.
// Kept equal to the server's `rtcc.events.EventType` by tests/web/test_meta.py.
// HOTLIST_CHANGED travels only between server instances: the server never sends it to a browser.

export const EVENT_SCHEMA_VERSION = 1;

export const EVENTS = Object.freeze({
  READ: "read",
  HIT: "hit",
  HIT_UPDATED: "hit_updated",
  CAMERA_STATUS: "camera_status",
  GUNSHOT: "gunshot",
  HOTLIST_CHANGED: "hotlist_changed",
  SYSTEM_ALERT: "system_alert",
});

// The greeting the server sends once per connection (a control frame, not an event).
export const HELLO = "hello";

const KNOWN = new Set([...Object.values(EVENTS), HELLO]);

/** Whether a decoded frame is one this console understands (others are ignored: fail closed). */
export function isKnown(msg) {
  if (!msg || !KNOWN.has(msg.type)) return false;
  return msg.type === HELLO || msg.schema_version === EVENT_SCHEMA_VERSION;
}

/** Why this console cannot follow the server's events (`GET /api/meta`), or null when it can. */
export function mismatch(meta) {
  if (meta.event_schema_version !== EVENT_SCHEMA_VERSION) {
    return `server events are version ${meta.event_schema_version}, this page reads ${EVENT_SCHEMA_VERSION}`;
  }
  const ours = Object.values(EVENTS);
  const missing = (meta.event_types || []).filter((t) => !ours.includes(t));
  return missing.length ? `this page does not know the event(s) ${missing.join(", ")}` : null;
}
