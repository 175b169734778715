"""The auditor's review queue: a random sample of each month's searches, each marked justified
or not with a note (once: a verdict is evidence and is never overwritten)."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import AuditEvent, SearchReview

SEARCH_ACTION = "reads.search"
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MIN_NOTE = 3


def month_bounds(month: str) -> tuple[datetime, datetime]:
    m = MONTH_RE.fullmatch(month)
    if m is None:
        raise InvalidInputError("month: YYYY-MM", field="month")
    year, mon = int(m.group(1)), int(m.group(2))
    if not 2000 <= year <= 2100:
        raise InvalidInputError("month: a year from 2000 to 2100", field="month")
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(now: datetime) -> str:
    year, mon = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{mon:02d}"


def draw_sample(
    session: Session, *, month: str, size: int, now: datetime, rng: random.Random,
    actor: Actor,
) -> list[SearchReview]:
    """The month's sample: drawn once (uniformly from its successful searches), then kept.

    Returns the sample (existing or new). A month that has not ended is refused (409).
    """
    start, end = month_bounds(month)
    if end > now:
        raise ConflictError(f"month {month} has not ended yet", field="month")
    existing = sample_of(session, month=month)
    if existing:
        return existing
    ids = list(session.execute(
        select(AuditEvent.id, AuditEvent.username).where(
            AuditEvent.action == SEARCH_ACTION, AuditEvent.outcome == "success",
            AuditEvent.at >= start, AuditEvent.at < end).order_by(AuditEvent.id)))
    chosen = rng.sample(ids, min(size, len(ids)))
    rows = [SearchReview(month=month, audit_event_id=row.id, username=row.username,
                         sampled_at=now) for row in sorted(chosen)]
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        raise ConflictError(f"month {month}: sampled meanwhile; reload", field="month") from None
    audit.record(session, now=now, actor=actor, action="oversight.sample", target=f"month:{month}",
                 details={"sampled": len(rows), "of": len(ids), "size": size})
    return rows


def sample_of(session: Session, *, month: str) -> list[SearchReview]:
    return list(session.scalars(select(SearchReview).where(SearchReview.month == month)
                                .order_by(SearchReview.audit_event_id)))


def queue(
    session: Session, *, month: str | None = None, pending: bool = False, limit: int = 200,
) -> list[tuple[SearchReview, AuditEvent | None]]:
    """Sampled searches with their audit rows (what was searched, by whom, why), newest first."""
    stmt = select(SearchReview, AuditEvent).join(
        AuditEvent, AuditEvent.id == SearchReview.audit_event_id, isouter=True)
    if month:
        month_bounds(month)
        stmt = stmt.where(SearchReview.month == month)
    if pending:
        stmt = stmt.where(SearchReview.justified.is_(None))
    stmt = stmt.order_by(SearchReview.month.desc(), SearchReview.audit_event_id).limit(limit)
    return [(r, e) for r, e in session.execute(stmt)]


def review(
    session: Session, *, review_id: int, justified: bool, note: str, actor: Actor, now: datetime,
) -> SearchReview:
    row = session.get(SearchReview, review_id)
    if row is None:
        raise NotFoundError(f"review {review_id} not found", field="review_id")
    if row.justified is not None:
        raise ConflictError(f"review {review_id} was already marked by {row.reviewed_by}",
                            field="review_id")
    if len(note.strip()) < MIN_NOTE:
        raise InvalidInputError(f"note: at least {MIN_NOTE} characters", field="note")
    if row.username and row.username == actor.username:
        raise ConflictError("nobody reviews their own searches", field="review_id")
    row.justified, row.note = justified, note.strip()
    row.reviewed_by, row.reviewed_at = actor.username, now
    session.flush()
    audit.record(session, now=now, actor=actor, action="oversight.review",
                 target=f"audit_event:{row.audit_event_id}",
                 details={"review": row.id, "justified": justified, "note": row.note})
    return row


def summary(row: SearchReview, event: AuditEvent | None) -> dict[str, Any]:
    d = event.details if event is not None and isinstance(event.details, dict) else {}
    return {
        "id": row.id, "month": row.month, "audit_event_id": row.audit_event_id,
        "username": row.username, "searched_at": event.at if event else None,
        "purpose": d.get("purpose"), "reason": d.get("reason"),
        "case_number": event.case_number if event else None, "query": d.get("query"),
        "results": d.get("total", d.get("results")), "sampled_at": row.sampled_at,
        "justified": row.justified, "note": row.note, "reviewed_by": row.reviewed_by,
        "reviewed_at": row.reviewed_at,
    }
