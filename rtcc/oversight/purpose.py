"""Every search states a purpose code from the settings; prohibited purposes are refused.

A refused search is itself recorded (``reads.search``, outcome ``refused``), in its own
transaction, so the refusal stays in the trail whatever the request does next.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from rtcc import audit
from rtcc.audit import Actor
from rtcc.config import OversightSettings
from rtcc.db import transaction
from rtcc.errors import InvalidInputError, PermissionDeniedError

SEARCH_ACTION = "reads.search"
MAX_LEGAL_BASIS = 500


class ProhibitedPurposeError(PermissionDeniedError):
    code = "prohibited_purpose"


def check_code(
    settings: OversightSettings, purpose: str | None, legal_basis: str | None
) -> tuple[str, str | None]:
    """``(purpose, legal_basis)`` cleaned; 422 naming the field when missing or unknown.

    A prohibited purpose is not an error here: :func:`refuse_if_prohibited` records it first.
    """
    code = (purpose or "").strip().lower()
    if not code:
        raise InvalidInputError(f"purpose is required: one of {', '.join(settings.purposes)}",
                                field="purpose")
    if code not in settings.purposes and code not in settings.prohibited_purposes:
        raise InvalidInputError(f"purpose {code!r} is not a configured purpose: one of "
                                f"{', '.join(settings.purposes)}", field="purpose")
    basis = (legal_basis or "").strip() or None
    if basis is not None and len(basis) > MAX_LEGAL_BASIS:
        raise InvalidInputError(f"legal_basis: at most {MAX_LEGAL_BASIS} characters",
                                field="legal_basis")
    if code in settings.legal_basis_required and basis is None:
        raise InvalidInputError(f"legal_basis is required for purpose {code!r}",
                                field="legal_basis")
    return code, basis


def refuse_if_prohibited(
    sessions: sessionmaker[Session], settings: OversightSettings, *, purpose: str, actor: Actor,
    now: datetime, reason: str | None, case_number: str | None, query: dict[str, object],
) -> None:
    """Record and refuse (403) a search for a prohibited purpose."""
    if purpose not in settings.prohibited_purposes:
        return
    with transaction(sessions) as session:
        audit.record(session, now=now, actor=actor, action=SEARCH_ACTION, outcome="refused",
                     target="reads", case_number=case_number,
                     details={"purpose": purpose, "reason": reason, "query": query,
                              "refused": "prohibited purpose"})
    raise ProhibitedPurposeError(
        f"searches for {purpose.replace('_', ' ')} are prohibited by policy; this attempt "
        "has been recorded", field="purpose")
