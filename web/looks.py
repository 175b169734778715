"""Audit every look at personal data: one helper, used by every route that shows it.

A route takes ``looks: Looks`` and calls ``looks.saw(...)`` once per request, naming what was
shown: a hit, a page of hits or live reads (the items listed in one event), an image, a video
segment listing or download, a live frame or stream, a restricted list's entries, the users, a
user's tokens, the legal holds. The event carries the user, their credential (session or
token), the time and what was seen; it is committed at once, so a look that later fails to send
is still on record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.auth.principal import Principal
from rtcc.runtime.services import Services
from web.deps import ServicesDep, SessionDep
from web.security import CurrentUser

MAX_ITEMS = 1000  # a page is at most 500 rows; a longer list is cut and says so


class LookRecorder:
    """Records what one request showed its user (see the module docstring)."""

    def __init__(self, session: Session, services: Services, user: Principal) -> None:
        self._session, self._services, self.user = session, services, user

    def saw(
        self,
        what: str,
        *,
        target: str | None = None,
        items: Iterable[Any] | None = None,
        case_number: str | None = None,
        **details: Any,
    ) -> None:
        """Append ``view.<what>`` for this user; ``items`` lists a feed's rows (ids or names)."""
        extra: dict[str, Any] = dict(details)
        if items is not None:
            shown = list(items)
            extra["count"] = len(shown)
            extra["items"] = shown[:MAX_ITEMS]
            if len(shown) > MAX_ITEMS:
                extra["items_truncated"] = True
        audit.record(
            self._session,
            now=self._services.clock.now(),
            actor=self.user.actor,
            action=f"view.{what}",
            target=target,
            case_number=case_number,
            details=extra or None,
        )
        self._session.commit()


def look_recorder(session: SessionDep, services: ServicesDep, user: CurrentUser) -> LookRecorder:
    return LookRecorder(session, services, user)


Looks = Annotated[LookRecorder, Depends(look_recorder)]
