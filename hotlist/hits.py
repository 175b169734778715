"""Hits: recording one (with duplicate suppression) and the officer workflow.

``new → acknowledged → confirmed | rejected``; every step and note is a ``HitEvent`` row with who
and when, and an audit event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist.matcher import Match
from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import Hit, HitEvent, PlateRead
from rtcc.vocab import HitStatus, RejectReason, values

STATUSES = values(HitStatus)
ACTIONS = {  # action -> (allowed from, to)
    "acknowledge": (("new",), "acknowledged"),
    "confirm": (("acknowledged",), "confirmed"),
    "reject": (("new", "acknowledged"), "rejected"),
}
REJECT_REASONS = values(RejectReason)


def record_hit(
    session: Session,
    *,
    read: PlateRead,
    match: Match,
    now: datetime,
    dedup_window_s: float,
    historical: bool = False,
) -> tuple[Hit, bool]:
    """Store a hit for ``read``; the same read, or the same plate and entry on the same camera
    within the window, updates the existing hit. Returns (hit, created)."""
    entry = match.entry
    existing = session.scalar(
        select(Hit).where(Hit.read_id == read.id, Hit.entry_id == entry.entry_id)
    )
    if existing is None and dedup_window_s > 0:
        existing = session.scalar(
            select(Hit)
            .where(
                Hit.entry_id == entry.entry_id,
                Hit.camera_id == read.camera_id,
                Hit.plate == read.plate,
                Hit.last_seen_at >= read.observed_at - timedelta(seconds=dedup_window_s),
                Hit.observed_at <= read.last_seen_at + timedelta(seconds=dedup_window_s),
            )
            .order_by(Hit.id.desc())
            .limit(1)
        )
    if existing is not None:
        if existing.read_id != read.id:
            existing.occurrences += 1
        existing.read_id = read.id
        existing.last_seen_at = max(existing.last_seen_at, read.last_seen_at)
        existing.updated_at = now
        session.flush()
        return existing, False
    hit = Hit(
        read_id=read.id,
        entry_id=entry.entry_id,
        hotlist_id=entry.hotlist_id,
        camera_id=read.camera_id,
        plate=read.plate,
        entry_plate=entry.plate,
        hotlist_name=entry.hotlist_name,
        reason=entry.reason,
        priority=entry.priority,
        match_type=match.match_type,
        distance=match.distance,
        diff=[list(d) for d in match.diff] or None,
        needs_confirmation=match.needs_confirmation,
        historical=historical,
        status="new",
        occurrences=1,
        observed_at=read.observed_at,
        last_seen_at=read.last_seen_at,
        created_at=now,
        updated_at=now,
    )
    session.add(hit)
    session.flush()
    return hit, True


def get_hit(session: Session, hit_id: int) -> Hit:
    hit = session.get(Hit, hit_id)
    if hit is None:
        raise NotFoundError(f"no hit {hit_id}")
    return hit


def transition(
    session: Session,
    *,
    hit: Hit,
    action: str,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    text: str | None = None,
    visual_check: bool = False,
) -> Hit:
    """Move ``hit`` by ``action``; refused moves raise ``ConflictError`` (nothing changes)."""
    if action not in ACTIONS:
        raise InvalidInputError(f"action: one of {', '.join(ACTIONS)}", field="action")
    allowed, target = ACTIONS[action]
    if hit.status not in allowed:
        raise ConflictError(
            f"hit {hit.id} is {hit.status}; {action} needs {' or '.join(allowed)}",
            status=hit.status,
        )
    if action == "reject":
        if reason not in REJECT_REASONS:
            raise InvalidInputError(f"reason: one of {', '.join(REJECT_REASONS)}", field="reason")
        if reason == "other" and not (text or "").strip():
            raise InvalidInputError("text: say why when the reason is 'other'", field="text")
        hit.reject_reason, hit.reject_text = reason, (text or "").strip() or None
    if action == "confirm":
        if not visual_check:
            raise InvalidInputError(
                "visual_check: confirm only after checking the plate image against the entry",
                field="visual_check",
            )
        hit.visually_confirmed = True
    before = hit.status
    hit.status, hit.status_by, hit.status_at, hit.updated_at = target, actor.username, now, now
    note = text.strip() if text and action != "reject" else None
    _event(session, hit, actor, now, action, before, target, note or reason)
    audit.record(
        session,
        now=now,
        actor=actor,
        action=f"hit.{action}",
        target=f"hit:{hit.id}",
        details={"from": before, "to": target, "reason": reason, "text": text},
    )
    return hit


def add_note(session: Session, *, hit: Hit, actor: Actor, now: datetime, text: str) -> HitEvent:
    if not text.strip():
        raise InvalidInputError("text: a note cannot be empty", field="text")
    hit.updated_at = now
    event = _event(session, hit, actor, now, "note", None, None, text.strip())
    audit.record(session, now=now, actor=actor, action="hit.note", target=f"hit:{hit.id}")
    return event


def _event(
    session: Session,
    hit: Hit,
    actor: Actor,
    now: datetime,
    action: str,
    before: str | None,
    after: str | None,
    note: str | None,
) -> HitEvent:
    event = HitEvent(
        hit_id=hit.id,
        at=now,
        username=actor.username,
        action=action,
        from_status=before,
        to_status=after,
        note=note,
    )
    session.add(event)
    session.flush()
    return event


def history(session: Session, hit_id: int) -> list[HitEvent]:
    return list(
        session.scalars(select(HitEvent).where(HitEvent.hit_id == hit_id).order_by(HitEvent.id))
    )
