// Every view of the console with the permission it needs (roles decide the navigation;
// the server enforces the same permissions on every route).

import * as adminCameras from "./admin_cameras.js";
import * as adminUsers from "./admin_users.js";
import * as audit from "./audit.js";
import * as cameras from "./cameras.js";
import * as evidence from "./evidence.js";
import * as holds from "./holds.js";
import * as hits from "./hits.js";
import * as hotlists from "./hotlists.js";
import * as map from "./map.js";
import * as nodes from "./nodes.js";
import * as reads from "./reads.js";
import * as retentionRuns from "./retention_runs.js";
import * as oversight from "./oversight.js";
import * as playback from "./playback.js";
import * as search from "./search.js";
import * as transparency from "./transparency.js";
import * as wall from "./wall.js";

export const VIEWS = [
  { id: "wall", title: "Live wall", perm: "video:live", key: "1", module: wall },
  { id: "playback", title: "Playback", perm: "video:segments", key: "p", module: playback },
  { id: "hits", title: "Hits", perm: "hits:view", key: "2", module: hits },
  { id: "reads", title: "Reads", perm: "reads:live", key: "3", module: reads },
  { id: "search", title: "Search", perm: "reads:search", key: "4", module: search },
  // Read-only for everyone with hotlists:view; changes need hotlists:manage (inside the view).
  { id: "hotlists", title: "Hotlists", perm: "hotlists:view", key: "5", module: hotlists },
  { id: "cameras", title: "Camera health", perm: "cameras:view", key: "6", module: cameras },
  { id: "audit", title: "Audit", perm: "audit:view", key: "7", module: audit },
  { id: "map", title: "Map", perm: "cameras:view", key: "8", module: map },
  { id: "evidence", title: "Evidence", perm: "evidence:export", key: "9", module: evidence },
  { id: "transparency", title: "Transparency", perm: "transparency:view", key: "0", module: transparency },
  { id: "oversight", title: "Oversight", perm: "oversight:alerts", key: "-", module: oversight },
  { id: "retention", title: "Retention", perm: "retention:view", key: "r", module: retentionRuns },
  { id: "holds", title: "Legal holds", perm: "holds:manage", key: "h", module: holds },
  { id: "users", title: "Users", perm: "users:manage", key: "u", module: adminUsers },
  { id: "camera-admin", title: "Manage cameras", perm: "cameras:manage", key: "c", module: adminCameras },
  { id: "nodes", title: "Camera nodes", perm: "cameras:manage", key: "n", module: nodes },
];

export function allowed(view, user) {
  const perms = new Set(user.permissions || []);
  if (!perms.has(view.perm)) return false;
  if (view.roles && !view.roles.some((r) => (user.roles || []).includes(r))) return false;
  return true;
}
