// Every view of the console with the permission it needs (roles decide the navigation;
// the server enforces the same permissions on every route).

import * as audit from "./audit.js";
import * as cameras from "./cameras.js";
import * as evidence from "./evidence.js";
import * as hits from "./hits.js";
import * as hotlists from "./hotlists.js";
import * as map from "./map.js";
import * as reads from "./reads.js";
import * as oversight from "./oversight.js";
import * as search from "./search.js";
import * as transparency from "./transparency.js";
import * as wall from "./wall.js";

export const VIEWS = [
  { id: "wall", title: "Live wall", perm: "video:live", key: "1", module: wall },
  { id: "hits", title: "Hits", perm: "hits:view", key: "2", module: hits },
  { id: "reads", title: "Reads", perm: "reads:live", key: "3", module: reads },
  { id: "search", title: "Search", perm: "reads:search", key: "4", module: search },
  { id: "hotlists", title: "Hotlists", perm: "hotlists:manage", key: "5", module: hotlists },
  // Camera health is for the people who run the system (admins, supervisors).
  { id: "cameras", title: "Cameras", perm: "cameras:view", roles: ["admin", "supervisor"], key: "6", module: cameras },
  { id: "audit", title: "Audit", perm: "audit:view", key: "7", module: audit },
  { id: "map", title: "Map", perm: "cameras:view", key: "8", module: map },
  { id: "evidence", title: "Evidence", perm: "evidence:export", key: "9", module: evidence },
  { id: "transparency", title: "Transparency", perm: "transparency:view", key: "0", module: transparency },
  { id: "oversight", title: "Oversight", perm: "oversight:alerts", key: "-", module: oversight },
];

export function allowed(view, user) {
  const perms = new Set(user.permissions || []);
  if (!perms.has(view.perm)) return false;
  if (view.roles && !view.roles.some((r) => (user.roles || []).includes(r))) return false;
  return true;
}
