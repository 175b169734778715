"""Who may see what: the one visibility rule, as SQL filters, as checks and as the event filter.

A user's :class:`Scope` follows from their roles and assignments (:class:`Principal`):

- **cameras**: a user whose every role is an assigned role (``officer``) sees the cameras assigned
  to them (no assignment, ``cameras`` None, means every camera); any other role sees every camera.
- **hotlists**: supervisors see every list. Everyone else sees the unrestricted lists (an officer
  with a list assignment: only the assigned ones) and the restricted lists assigned to them.
- a **hit** is visible when both its camera and its list are; a **read**, video **segment**,
  **live frame** or **media file** when its camera is; hotlist **entries** when their list is.

It fails closed. No principal, no role or an unknown role sees nothing. What cannot be placed is
hidden: an event of an unknown type or without a camera, a media path outside
``reads/<camera>/``, a hit whose list is gone (supervisors still see it). Routes answer **404**
for what the caller may not see, exactly as for what does not exist, so a detail route never
reveals that a hit, read, camera or list exists (403 stays for a missing *permission*).

Routes use the SQL filters (``Scope.hits()``, ``reads()``, ``cameras()``, ``segments()``,
``hotlists()``, ``entries()``) on every listing and export, and the ``require_*`` checks on every
detail, action and file; the websocket uses :func:`sees_event`, then :func:`redact_event` (an
event that may go to a user can still name cameras they may not see: a gunshot alert's covering
cameras). No other module decides this.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from rtcc.auth.principal import Principal
from rtcc.auth.roles import ASSIGNED_ROLES, ROLE_PERMISSIONS
from rtcc.errors import NotFoundError
from rtcc.models import Camera, Hit, Hotlist, HotlistEntry, PlateRead, VideoSegment

# Roles that see every hotlist, restricted ones included.
ALL_LISTS_ROLES = frozenset({"supervisor"})


@dataclass(frozen=True)
class EventRule:
    """Who may receive an event type: a permission, and whether its camera / list must be seen."""

    permission: str
    by_camera: bool = True
    by_list: bool = False


# Event type -> rule; any other type is dropped. A gunshot alert is a place, not a camera's data.
# ``hotlist_changed`` has no rule on purpose: it tells instances to reload their index, and even a
# list id would tell a browser when a list it may not see changed (consoles re-fetch on demand).
EVENT_RULES: dict[str, EventRule] = {
    "read": EventRule("reads:live"),
    "hit": EventRule("hits:view", by_list=True),
    "hit_updated": EventRule("hits:view", by_list=True),
    "camera_status": EventRule("cameras:view"),
    "gunshot": EventRule("gunshots:view", by_camera=False),
    # The system's own state (no camera, no list): every operational role holds cameras:view.
    "system_alert": EventRule("cameras:view", by_camera=False),
}

MEDIA_READS = "reads"  # media/<MEDIA_READS>/<camera>/<day>/<file>


def _within(column: Any, ids: Collection[Any] | None) -> ColumnElement[bool]:
    """``column IN ids``; None means no limit, an empty set matches nothing."""
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(sorted(ids))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Scope:
    """What one user may see. ``None`` means "every one"; the defaults see nothing."""

    cameras: frozenset[str] | None = frozenset()
    lists: frozenset[int] | None = frozenset()  # unrestricted lists
    restricted: frozenset[int] | None = frozenset()  # restricted lists
    permissions: frozenset[str] = frozenset()
    username: str | None = None

    # --- checks on one object -------------------------------------------------------------

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def every_list(self) -> bool:
        return self.lists is None and self.restricted is None

    def sees_camera(self, camera_id: str | None) -> bool:
        if not camera_id:
            return False
        return self.cameras is None or camera_id in self.cameras

    def sees_list(self, hotlist_id: int | None, *, restricted: bool) -> bool:
        if self.every_list:
            return True
        if hotlist_id is None:
            return False
        allowed = self.restricted if restricted else self.lists
        return allowed is None or hotlist_id in allowed

    def sees_hit(self, camera_id: str | None, hotlist_id: int | None, *, restricted: bool) -> bool:
        return self.sees_camera(camera_id) and self.sees_list(hotlist_id, restricted=restricted)

    def sees_export(self, cameras: Collection[str], requested_by: str | None) -> bool:
        """An evidence package: only for a user who sees every camera in it, and then for its
        requester (it holds what they could see) or a user who sees every list (it may hold
        restricted-list hits that were visible to the requester)."""
        if not cameras or not all(self.sees_camera(c) for c in cameras):
            return False
        return self.every_list or (self.username is not None and requested_by == self.username)

    # --- SQL filters for listings and exports ---------------------------------------------

    def camera_filter(self, column: Any) -> ColumnElement[bool]:
        return _within(column, self.cameras)

    def hotlists(self) -> ColumnElement[bool]:
        """Filter on ``Hotlist`` rows."""
        if self.every_list:
            return true()
        return or_(
            and_(Hotlist.restricted.is_(False), _within(Hotlist.id, self.lists)),
            and_(Hotlist.restricted.is_(True), _within(Hotlist.id, self.restricted)),
        )

    def list_id_filter(self, column: Any) -> ColumnElement[bool]:
        """Filter on a ``hotlist_id`` column: the list exists and is visible."""
        if self.every_list:
            return true()
        return column.in_(select(Hotlist.id).where(self.hotlists()))  # type: ignore[no-any-return]

    def hits(self) -> ColumnElement[bool]:
        return and_(self.camera_filter(Hit.camera_id), self.list_id_filter(Hit.hotlist_id))

    def reads(self) -> ColumnElement[bool]:
        return self.camera_filter(PlateRead.camera_id)

    def cameras_filter(self) -> ColumnElement[bool]:
        return self.camera_filter(Camera.id)

    def segments(self) -> ColumnElement[bool]:
        return self.camera_filter(VideoSegment.camera_id)

    def entries(self) -> ColumnElement[bool]:
        return self.list_id_filter(HotlistEntry.hotlist_id)


NOTHING = Scope()


def scope_of(principal: Principal | None) -> Scope:
    """The user's scope; nothing at all without a principal, a role, or with an unknown role."""
    if principal is None or not principal.roles:
        return NOTHING
    roles = frozenset(principal.roles)
    if not roles <= ROLE_PERMISSIONS.keys():
        return NOTHING
    assigned_only = roles <= ASSIGNED_ROLES
    cameras = None
    if assigned_only and principal.cameras is not None:
        cameras = frozenset(principal.cameras)
    assigned_lists = frozenset(principal.hotlists or ())
    lists: frozenset[int] | None = None
    restricted: frozenset[int] | None = assigned_lists
    if roles & ALL_LISTS_ROLES:
        restricted = None
    elif assigned_only and principal.hotlists is not None:
        lists = assigned_lists
    return Scope(cameras, lists, restricted, principal.permissions, principal.username)


# --- checks that answer 404 ----------------------------------------------------------------


def require_camera(scope: Scope, camera_id: str | None) -> None:
    if not scope.sees_camera(camera_id):
        raise NotFoundError(f"no camera {camera_id!r}")


def require_read(scope: Scope, read: PlateRead | None, read_id: int) -> PlateRead:
    if read is None or not scope.sees_camera(read.camera_id):
        raise NotFoundError(f"no plate read {read_id}")
    return read


def require_hotlist(scope: Scope, hotlist: Hotlist | None, hotlist_id: int) -> Hotlist:
    if hotlist is None or not scope.sees_list(hotlist.id, restricted=hotlist.restricted):
        raise NotFoundError(f"no hotlist {hotlist_id}")
    return hotlist


def require_hit(session: Session, scope: Scope, hit: Hit) -> Hit:
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id is not None else None
    restricted = hotlist is None or hotlist.restricted  # a list that is gone: unknown, hidden
    hotlist_id = hotlist.id if hotlist is not None else None
    if not scope.sees_hit(hit.camera_id, hotlist_id, restricted=restricted):
        raise NotFoundError(f"no hit {hit.id}")
    return hit


def require_entry(
    session: Session, scope: Scope, entry: HotlistEntry | None, entry_id: int
) -> HotlistEntry:
    hotlist = session.get(Hotlist, entry.hotlist_id) if entry is not None else None
    if (
        entry is None
        or hotlist is None
        or not scope.sees_list(hotlist.id, restricted=hotlist.restricted)
    ):
        raise NotFoundError(f"no hotlist entry {entry_id}")
    return entry


def media_camera(relative: PurePosixPath) -> str | None:
    """The camera a media file belongs to (``reads/<camera>/<day>/<file>``), else None."""
    parts = relative.parts
    if len(parts) >= 3 and parts[0] == MEDIA_READS:
        return parts[1]
    return None


def require_export(
    scope: Scope, cameras: Collection[str], requested_by: str | None, export_id: int
) -> None:
    if not scope.sees_export(cameras, requested_by):
        raise NotFoundError(f"no evidence export {export_id}")


def require_media(scope: Scope, relative: PurePosixPath) -> None:
    if not scope.sees_camera(media_camera(relative)):
        raise NotFoundError(f"no media file {str(relative)!r}")


# --- the websocket -------------------------------------------------------------------------


def restricted_list_ids(session: Session) -> frozenset[int]:
    """Ids of the hotlists marked restricted (the event filter's view of the lists)."""
    return frozenset(session.scalars(select(Hotlist.id).where(Hotlist.restricted.is_(True))))


def sees_event(scope: Scope, message: Mapping[str, Any], restricted_ids: Collection[int]) -> bool:
    """Whether a bus event message (``type`` plus fields) may go to this user."""
    rule = EVENT_RULES.get(str(message.get("type")))
    if rule is None or not scope.can(rule.permission):
        return False
    camera_id = message.get("camera_id")
    if rule.by_camera and not scope.sees_camera(camera_id if isinstance(camera_id, str) else None):
        return False
    if not rule.by_list:
        return True
    hotlist_id = message.get("hotlist_id")
    if not isinstance(hotlist_id, int) or isinstance(hotlist_id, bool):
        hotlist_id = None
    restricted = hotlist_id in restricted_ids or message.get("restricted") is True
    return scope.sees_list(hotlist_id, restricted=restricted)


EventT = TypeVar("EventT", bound=BaseModel)


def redact_event(scope: Scope, event: EventT) -> EventT:
    """The event as this user may receive it: the covering cameras (``covering``, items with a
    ``camera_id``) they may not see are removed. Other events come back unchanged."""
    covering = getattr(event, "covering", None)
    if not covering:
        return event
    kept = [c for c in covering if scope.sees_camera(getattr(c, "camera_id", None))]
    if len(kept) == len(covering):
        return event
    return event.model_copy(update={"covering": kept})
