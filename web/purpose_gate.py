"""The purpose gate shared by every route that reaches past the live window.

A search, an export and the detail of a read older than the live window
(``oversight.live_window_hours``) all state a purpose code, a reason and a case number, are
checked by the same rules (``rtcc.oversight.purpose``: known code, prohibited purposes refused
and recorded, legal basis where required, reason length, case number form) and are audited by
the same helper, :func:`audit_search`. Anything newer is the live view, audited as a look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.auth.principal import Principal
from rtcc.errors import InvalidInputError
from rtcc.oversight import purpose as purpose_rules
from rtcc.runtime.services import Services

CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:#-]{0,63}$")


def live_since(services: Services) -> datetime:
    """The start of the live window: older reads and hits need a stated purpose."""
    hours = services.settings.oversight.live_window_hours
    return services.clock.now() - timedelta(hours=hours)


def check_purpose(reason: str | None, case_number: str | None, *, min_reason: int) -> None:
    """422 naming every missing or unusable purpose field."""
    problems = []
    if not reason or not reason.strip():
        problems.append(("reason", "reason is required (why you are searching)"))
    elif len(reason.strip()) < min_reason:
        problems.append(("reason", f"reason must be at least {min_reason} characters"))
    if not case_number or not case_number.strip():
        problems.append(("case_number", "case_number is required"))
    elif not CASE_NUMBER_RE.fullmatch(case_number.strip()):
        problems.append(("case_number", "case_number: letters, digits and _ . / : # - only"))
    if problems:
        raise InvalidInputError(
            "; ".join(msg for _, msg in problems),
            field=problems[0][0],
            fields=[{"field": f, "message": m} for f, m in problems],
        )


@dataclass(frozen=True)
class Purpose:
    """A checked statement of why: code, legal basis, reason and case number."""

    purpose: str | None  # a code from oversight.purposes
    legal_basis: str | None
    reason: str
    case_number: str


def state_purpose(
    services: Services, user: Principal, *, purpose: str | None, legal_basis: str | None,
    reason: str | None, case_number: str | None, query: dict[str, Any],
) -> Purpose:
    """Check a stated purpose (refusals of prohibited purposes are recorded even when the rest
    is incomplete); 422 naming the fields when something is missing."""
    code, basis = purpose_rules.check_code(services.settings.oversight, purpose, legal_basis)
    purpose_rules.refuse_if_prohibited(
        services.sessions, services.settings.oversight, purpose=code, actor=user.actor,
        now=services.clock.now(), reason=reason, case_number=case_number, query=query)
    check_purpose(reason, case_number, min_reason=services.settings.auth.min_reason_length)
    assert reason is not None and case_number is not None
    return Purpose(code, basis, reason.strip(), case_number.strip())


class Stated(Protocol):
    """What the audit needs of a purpose-gated request (a ``Search`` or a ``Purpose``)."""

    @property
    def reason(self) -> str: ...
    @property
    def case_number(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def legal_basis(self) -> str | None: ...


def audit_search(
    session: Session, services: Services, user: Principal, search: Stated, action: str,
    details: dict[str, Any], *, target: str | None = None, outcome: str = "success",
) -> None:
    """Append the purpose-gated ``action`` (reason, purpose, legal basis, details) and commit."""
    plate = getattr(search, "plate", None)
    audit.record(
        session, now=services.clock.now(), actor=user.actor, action=action,
        target=target or (f"plate:{plate}" if plate else "reads"),
        case_number=search.case_number, outcome=outcome,
        details={"reason": search.reason, "purpose": search.purpose,
                 "legal_basis": search.legal_basis, **details},
    )
    session.commit()
