"""The acting user as the rest of the product sees it: plain data, no ORM object."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtcc.audit import Actor
from rtcc.auth.roles import permissions_of
from rtcc.models import User


@dataclass(frozen=True)
class Principal:
    """An authenticated user. ``cameras``/``hotlists`` None means "all" (no assignment limit);
    what the user may see follows from them in ``rtcc.auth.visibility``."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    cameras: tuple[str, ...] | None = None
    hotlists: tuple[int, ...] | None = None
    source: str | None = None
    via: str = "session"  # session | token
    permissions: frozenset[str] = field(default=frozenset())
    credential: str | None = None  # "session:<id prefix>" or "token:<id>", for the audit trail

    @classmethod
    def from_user(
        cls, user: User, *, source: str | None, via: str, credential: str | None = None
    ) -> Principal:
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
            credential=credential,
        )

    @property
    def view(self) -> tuple[object, ...]:
        """What decides what this user may see; an open websocket closes when it changes."""
        return (self.roles, self.cameras, self.hotlists)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def actor(self) -> Actor:
        return Actor(username=self.username, roles=self.roles, source=self.source,
                     credential=self.credential)
