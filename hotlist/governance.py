"""Manual hotlist entries are accountable: a justification, a case number, an owner and an
expiry (by default the list's ``manual_expiry_days``, never later). Owners are reminded before
expiry; an expired entry stops matching at once (``hotlist.matcher`` checks ``expires_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import InvalidInputError
from rtcc.models import Hotlist, HotlistEntry

MAX_EXPIRY_DAYS = 365


def manual_terms(
    *,
    hotlist: Hotlist,
    reason: str | None,
    case_number: str | None,
    owner: str | None,
    expires_at: datetime | None,
    actor: Actor,
    now: datetime,
    min_justification: int,
) -> tuple[str, datetime]:
    """``(owner, expires_at)`` for a manual entry; 422 naming every missing or bad field."""
    problems: list[tuple[str, str]] = []
    if not reason or len(reason.strip()) < min_justification:
        problems.append(
            (
                "reason",
                f"reason: a justification of at least {min_justification} characters is required",
            )
        )
    if not case_number or not case_number.strip():
        problems.append(("case_number", "case_number is required for a manual entry"))
    who = (owner or actor.username or "").strip()
    if not who:
        problems.append(("owner", "owner is required (who answers for this entry)"))
    days = hotlist.manual_expiry_days or 30
    latest = now + timedelta(days=days)
    expiry = latest if expires_at is None else expires_at
    if expiry.tzinfo is None:
        problems.append(("expires_at", "expires_at needs a time zone"))
    elif expiry <= now:
        problems.append(("expires_at", "expires_at must be in the future"))
    elif expiry > latest:
        problems.append(
            (
                "expires_at",
                f"expires_at: at most {days} days ahead on list "
                f"{hotlist.name!r} (renew it when it runs out)",
            )
        )
    if problems:
        raise InvalidInputError(
            "; ".join(m for _, m in problems),
            field=problems[0][0],
            fields=[{"field": f, "message": m} for f, m in problems],
        )
    return who, expiry


def check_renewal(
    session: Session, *, entry: HotlistEntry, expires_at: datetime | None, now: datetime
) -> None:
    """A manual entry's new expiry: never cleared, never beyond its list's limit from now."""
    if entry.owner is None:
        return  # imported or configured entries follow their source
    hotlist = session.get(Hotlist, entry.hotlist_id)
    days = (hotlist.manual_expiry_days if hotlist else None) or 30
    if expires_at is None:
        raise InvalidInputError("expires_at: a manual entry always expires", field="expires_at")
    if expires_at.tzinfo is not None and expires_at > now + timedelta(days=days):
        raise InvalidInputError(f"expires_at: at most {days} days ahead", field="expires_at")


def expiring(
    session: Session,
    *,
    now: datetime,
    within: timedelta,
    owner: str | None = None,
) -> list[HotlistEntry]:
    """Manual entries expiring in ``(now, now + within]`` (one owner's, or everyone's)."""
    stmt = select(HotlistEntry).where(
        HotlistEntry.owner.is_not(None),
        HotlistEntry.expires_at > now,
        HotlistEntry.expires_at <= now + within,
    )
    if owner is not None:
        stmt = stmt.where(HotlistEntry.owner == owner)
    return list(session.scalars(stmt.order_by(HotlistEntry.expires_at, HotlistEntry.id)))


def remind(session: Session, *, now: datetime, within: timedelta) -> list[HotlistEntry]:
    """Mark (once) and record a reminder for each manual entry about to expire (flushes)."""
    due = [e for e in expiring(session, now=now, within=within) if e.reminded_at is None]
    for entry in due:
        entry.reminded_at = now
        assert entry.expires_at is not None
        audit.record(
            session,
            now=now,
            actor=audit.SYSTEM,
            action="hotlist.entry.remind",
            target=f"hotlist_entry:{entry.id}",
            case_number=entry.case_number,
            details={"owner": entry.owner, "expires_at": entry.expires_at.isoformat()},
        )
    session.flush()
    return due
