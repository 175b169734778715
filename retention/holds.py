"""Legal holds: place, list, extend, release. Services flush; the caller commits.

A hold names a data class (``plate_reads``, ``hits``, ``video`` or ``all``) and exactly one
scope: item ids, or a time range narrowed by a camera and/or a plate. Every change is written
to the audit trail with the case number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from retention.plan import HOLD_CLASSES, Hold
from rtcc import audit
from rtcc.audit import Actor
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import LegalHold
from rtcc.plates import validate_plate

MAX_ITEM_IDS = 10_000


def _check_scope(
    *,
    item_ids: Sequence[int] | None,
    camera_id: str | None,
    plate: str | None,
    start_at: datetime | None,
    end_at: datetime | None,
) -> None:
    if item_ids:
        if camera_id or plate or start_at or end_at:
            raise InvalidInputError(
                "item_ids: give either item ids or a camera/plate time range, not both",
                field="item_ids",
            )
        if len(item_ids) > MAX_ITEM_IDS:
            raise InvalidInputError(f"item_ids: at most {MAX_ITEM_IDS} ids", field="item_ids")
        if any(not isinstance(i, int) or i < 1 for i in item_ids):
            raise InvalidInputError("item_ids: ids must be positive integers", field="item_ids")
        return
    if not camera_id and not plate:
        raise InvalidInputError(
            "scope: give item_ids, or a camera_id and/or plate with start_at and end_at",
            field="item_ids",
        )
    if start_at is None or end_at is None:
        raise InvalidInputError(
            "start_at: a camera or plate hold needs start_at and end_at", field="start_at"
        )
    if end_at < start_at:
        raise InvalidInputError("end_at: must not be before start_at", field="end_at")


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidInputError(f"{name}: needs a time zone (e.g. ...Z)", field=name)


def create_hold(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    case_number: str,
    reason: str,
    data_class: str,
    expires_at: datetime,
    item_ids: Sequence[int] | None = None,
    camera_id: str | None = None,
    plate: str | None = None,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
) -> LegalHold:
    """Place a hold (flushes; the caller commits)."""
    case_number = case_number.strip()
    reason = reason.strip()
    if not case_number or len(case_number) > 64:
        raise InvalidInputError("case_number: 1 to 64 characters required", field="case_number")
    if not reason:
        raise InvalidInputError("reason: required", field="reason")
    if data_class not in HOLD_CLASSES:
        raise InvalidInputError(
            f"data_class: one of {', '.join(HOLD_CLASSES)}, not {data_class!r}", field="data_class"
        )
    for name, value in (("expires_at", expires_at), ("start_at", start_at), ("end_at", end_at)):
        _aware(value, name)
    if expires_at <= now:
        raise InvalidInputError("expires_at: must be in the future", field="expires_at")
    _check_scope(
        item_ids=item_ids, camera_id=camera_id, plate=plate, start_at=start_at, end_at=end_at
    )
    hold = LegalHold(
        case_number=case_number,
        reason=reason,
        data_class=data_class,
        item_ids=sorted(set(item_ids)) if item_ids else None,
        camera_id=camera_id or None,
        plate=validate_plate(plate) if plate else None,
        start_at=start_at,
        end_at=end_at,
        expires_at=expires_at,
        created_by=actor.username or "unknown",
        created_at=now,
    )
    session.add(hold)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hold.create",
        target=f"legal_hold:{hold.id}",
        case_number=case_number,
        details={"data_class": data_class, "scope": describe_scope(hold)},
    )
    return hold


def release_hold(session: Session, *, hold_id: int, now: datetime, actor: Actor) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFoundError(f"legal hold {hold_id} not found")
    if hold.released_at is not None:
        raise ConflictError(f"legal hold {hold_id} was already released by {hold.released_by}")
    hold.released_at = now
    hold.released_by = actor.username or "unknown"
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="hold.release",
        target=f"legal_hold:{hold.id}",
        case_number=hold.case_number,
    )
    return hold


def extend_hold(
    session: Session, *, hold_id: int, expires_at: datetime, now: datetime, actor: Actor
) -> LegalHold:
    """Keep an active hold longer (a hold is never shortened: release it instead)."""
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFoundError(f"legal hold {hold_id} not found")
    if hold.released_at is not None:
        raise ConflictError(f"legal hold {hold_id} was released by {hold.released_by}")
    if expires_at.tzinfo is None:
        raise InvalidInputError("expires_at: needs a timezone", field="expires_at")
    if hold.expires_at is not None and hold.expires_at <= now:
        raise ConflictError(f"legal hold {hold_id} has expired: place a new one")
    if hold.expires_at is not None and expires_at <= hold.expires_at:
        raise InvalidInputError("expires_at: must be later than the current expiry",
                                field="expires_at")
    previous = hold.expires_at
    hold.expires_at = expires_at
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="hold.extend", target=f"legal_hold:{hold.id}",
        case_number=hold.case_number,
        details={"from": previous.isoformat() if previous else None,
                 "to": expires_at.isoformat()},
    )
    return hold


def get_hold(session: Session, *, hold_id: int) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFoundError(f"legal hold {hold_id} not found")
    return hold


def list_holds(
    session: Session, *, now: datetime, include_inactive: bool = False
) -> list[LegalHold]:
    stmt = select(LegalHold).order_by(LegalHold.id)
    if not include_inactive:
        stmt = stmt.where(LegalHold.released_at.is_(None)).where(
            or_(LegalHold.expires_at.is_(None), LegalHold.expires_at > now)
        )
    return list(session.scalars(stmt))


def to_spec(row: LegalHold) -> Hold:
    return Hold(
        id=row.id,
        case_number=row.case_number,
        data_class=row.data_class,
        item_ids=frozenset(int(i) for i in (row.item_ids or ())),
        camera_id=row.camera_id,
        plate=row.plate,
        start_at=row.start_at,
        end_at=row.end_at,
        expires_at=row.expires_at,
        released_at=row.released_at,
    )


def active_specs(session: Session, *, now: datetime) -> list[Hold]:
    return [to_spec(h) for h in list_holds(session, now=now)]


def describe_scope(hold: LegalHold) -> dict[str, Any]:
    if hold.item_ids:
        return {"item_ids": list(hold.item_ids)}
    return {
        "camera_id": hold.camera_id,
        "plate": hold.plate,
        "start_at": hold.start_at.isoformat() if hold.start_at else None,
        "end_at": hold.end_at.isoformat() if hold.end_at else None,
    }


def hold_payload(hold: LegalHold, *, now: datetime) -> dict[str, Any]:
    return {
        "id": hold.id,
        "case_number": hold.case_number,
        "reason": hold.reason,
        "data_class": hold.data_class,
        "scope": describe_scope(hold),
        "expires_at": hold.expires_at.isoformat() if hold.expires_at else None,
        "created_by": hold.created_by,
        "created_at": hold.created_at.isoformat(),
        "released_by": hold.released_by,
        "released_at": hold.released_at.isoformat() if hold.released_at else None,
        "active": to_spec(hold).active(now),
    }
