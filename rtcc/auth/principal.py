"""The acting user as the rest of the product sees it: plain data, no ORM object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rtcc.audit import Actor
from rtcc.auth.roles import ASSIGNED_ROLES, permissions_of
from rtcc.models import User


@dataclass(frozen=True)
class Principal:
    """An authenticated user. ``cameras``/``hotlists`` None means "all" (no assignment limit)."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    cameras: tuple[str, ...] | None = None
    hotlists: tuple[int, ...] | None = None
    source: str | None = None
    via: str = "session"  # session | token
    permissions: frozenset[str] = field(default=frozenset())

    @classmethod
    def from_user(cls, user: User, *, source: str | None, via: str) -> Principal:
        roles = tuple(user.roles or ())
        return cls(
            user_id=user.id,
            username=user.username,
            roles=roles,
            cameras=None if user.cameras is None else tuple(str(c) for c in user.cameras),
            hotlists=None if user.hotlists is None else tuple(int(h) for h in user.hotlists),
            source=source,
            via=via,
            permissions=permissions_of(roles),
        )

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def limited(self) -> bool:
        """True when only assigned cameras/lists are visible (officers without a wider role)."""
        return bool(self.roles) and all(r in ASSIGNED_ROLES for r in self.roles)

    def sees_camera(self, camera_id: str | None) -> bool:
        if not self.limited or self.cameras is None:
            return True
        return camera_id is not None and camera_id in self.cameras

    def sees_hotlist(self, hotlist_id: int | None, *, restricted: bool = False) -> bool:
        """Restricted lists are visible only to users assigned to them (or supervisors)."""
        if "supervisor" in self.roles:
            return True
        assigned = self.hotlists is not None and hotlist_id in self.hotlists
        if restricted:
            return assigned
        if not self.limited or self.hotlists is None:
            return True
        return assigned

    def visible_cameras(self, all_ids: Iterable[str]) -> list[str]:
        return [c for c in all_ids if self.sees_camera(c)]

    @property
    def actor(self) -> Actor:
        return Actor(username=self.username, roles=self.roles, source=self.source)
