// Camera names everywhere: one map (id -> camera) filled once at sign-in and kept current by
// camera_status events (app.js); views show names, with the id as a fallback and tooltip.

import { api } from "./api.js";

let known = new Map();

export function useCameraMap(map) { known = map; }

export async function loadCameraNames(perms) {
  if (!perms.has("cameras:view")) return;
  try {
    for (const c of await api.get("/api/cameras")) known.set(c.camera_id, { ...(known.get(c.camera_id) || {}), ...c });
  } catch { /* names fall back to ids */ }
}

export function cameraName(id) { return known.get(id)?.name || id || "—"; }
