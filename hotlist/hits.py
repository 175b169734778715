"""Hits: recording one (with duplicate suppression) and the officer workflow.

``new → acknowledged → confirmed | rejected``; every step and note is a ``HitEvent`` row with who
and when, and an audit event.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist import sightings
from hotlist.matcher import Match
from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import Hit, HitEvent, Hotlist, PlateRead
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
    realert_after_s: float = 600.0,
) -> tuple[Hit, bool]:
    """Store a hit for ``read``, or fold the read into an existing hit as a sighting (see
    ``hotlist.sightings``). Returns (hit, created)."""
    outcome = sightings.record(
        session,
        read=read,
        match=match,
        now=now,
        rules=sightings.FoldRules(dedup_window_s, realert_after_s),
        historical=historical,
    )
    return outcome.hit, outcome.created


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
    data_dir: Path | None = None,
) -> Hit:
    """Move ``hit`` by ``action``; refused moves raise ``ConflictError`` (nothing changes).
    With ``data_dir`` the audit event records the SHA-256 of the images the officer was shown.
    On a list with ``two_person_confirm`` the first confirmation is recorded and a second user
    completes it."""
    target = _check(hit, action, reason=reason, text=text, visual_check=visual_check)
    before = hit.status
    note = text.strip() if text and action != "reject" else None
    if action == "reject":
        hit.reject_reason, hit.reject_text = reason, (text or "").strip() or None
    if action == "confirm" and _second_user_needed(session, hit, actor):
        hit.confirm_requested_by, target = actor.username, before
        note = "first confirmation; a second user must confirm" + (f": {note}" if note else "")
    else:
        hit.visually_confirmed = hit.visually_confirmed or action == "confirm"
        hit.status, hit.status_by, hit.status_at = target, actor.username, now
    hit.updated_at = now
    _event(session, hit, actor, now, action, before, target, note or reason)
    if action == "confirm" and target == before:
        action = "confirm_first"
    audit.record(
        session,
        now=now,
        actor=actor,
        action=f"hit.{action}",
        target=f"hit:{hit.id}",
        details={
            "from": before,
            "to": target,
            "reason": reason,
            "text": text,
            "visual_check": visual_check if action.startswith("confirm") else None,
            "evidence": sightings.evidence_shown(data_dir, hit) if data_dir else None,
        },
    )
    return hit


def _check(
    hit: Hit, action: str, *, reason: str | None, text: str | None, visual_check: bool
) -> str:
    """The status ``action`` moves ``hit`` to; raises when the move or its input is refused."""
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
    if action == "confirm" and visual_check is not True:
        raise InvalidInputError(
            "visual_check: confirm only after checking the plate image against the entry",
            field="visual_check",
        )
    return target


def _second_user_needed(session: Session, hit: Hit, actor: Actor) -> bool:
    """On a ``two_person_confirm`` list: True for the first confirmation; the same user
    confirming twice is refused."""
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    if hotlist is None or not hotlist.two_person_confirm:
        return False
    if hit.confirm_requested_by is None:
        return True
    if hit.confirm_requested_by == actor.username:
        raise ConflictError(
            f"hit {hit.id}: {actor.username} already confirmed; list {hotlist.name!r} needs "
            "a second user to confirm",
            status=hit.status,
        )
    return False


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
