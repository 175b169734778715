// The events /ws/events sends, by name: the one place the console spells them.
// Kept equal to the server's `rtcc.events.EventType` by tests/web/test_meta.py.

export const EVENT_SCHEMA_VERSION = 1;

export const EVENTS = Object.freeze({
  READ: "read",
  HIT: "hit",
  HIT_UPDATED: "hit_updated",
  CAMERA_STATUS: "camera_status",
  GUNSHOT: "gunshot",
});

// The greeting the server sends once per connection (a control frame, not an event).
export const HELLO = "hello";

const KNOWN = new Set([...Object.values(EVENTS), HELLO]);

/** Whether a decoded frame is one this console understands (others are ignored: fail closed). */
export function isKnown(msg) {
  if (!msg || !KNOWN.has(msg.type)) return false;
  return msg.type === HELLO || msg.schema_version === EVENT_SCHEMA_VERSION;
}
