"""Purpose-gated search of plate reads, and the audited view of one read.

Every search states why (``reason``, at least ``auth.min_reason_length`` characters) and for
which case (``case_number``); the query, the reason and the number of results go to the audit
trail. ``plate`` takes ``*`` (any run of characters) and ``?`` (one character).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import func, select

from rtcc import audit
from rtcc.api.deps import ServicesDep, SessionDep
from rtcc.api.security import CurrentUser, require
from rtcc.clock import as_utc
from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.models import PlateRead
from rtcc.plates import MAX_PLATE_LENGTH
from rtcc.runtime.payloads import read_payload

router = APIRouter(tags=["reads"])

CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./:#-]{0,63}$")
_PATTERN_JUNK = re.compile(r"[^A-Z0-9*?]")


def plate_pattern(text: str) -> tuple[str, bool]:
    """``"ab-1*"`` → (``"AB1%"``, True): a SQL LIKE pattern (or exact plate) from user input."""
    cleaned = _PATTERN_JUNK.sub("", text.upper())
    cleaned = re.sub(r"\*+", "*", cleaned)
    letters = cleaned.replace("*", "").replace("?", "")
    if not letters and "?" not in cleaned:
        raise InvalidInputError(
            f"plate: {text!r} has no letters, digits or '?' to search for", field="plate"
        )
    if len(cleaned.replace("*", "")) > MAX_PLATE_LENGTH:
        raise InvalidInputError(f"plate: at most {MAX_PLATE_LENGTH} characters", field="plate")
    wildcard = "*" in cleaned or "?" in cleaned
    return cleaned.replace("*", "%").replace("?", "_"), wildcard


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


@router.get("/api/reads", dependencies=[Depends(require("reads:search"))])
def search_reads(
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    plate: Annotated[str | None, Query(max_length=40)] = None,
    camera_id: Annotated[str | None, Query(max_length=64)] = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    check_purpose(reason, case_number, min_reason=services.settings.auth.min_reason_length)
    assert reason is not None and case_number is not None
    start_utc = as_utc(start) if start else None
    end_utc = as_utc(end) if end else None
    if start_utc and end_utc and start_utc >= end_utc:
        raise InvalidInputError("start must be before end", field="start")
    stmt = select(PlateRead)
    if plate:
        pattern, wildcard = plate_pattern(plate)
        stmt = stmt.where(PlateRead.plate.like(pattern) if wildcard else PlateRead.plate == pattern)
    if camera_id:
        stmt = stmt.where(PlateRead.camera_id == camera_id)
    if user.limited and user.cameras is not None:
        stmt = stmt.where(PlateRead.camera_id.in_(user.cameras))
    if start_utc:
        stmt = stmt.where(PlateRead.observed_at >= start_utc)
    if end_utc:
        stmt = stmt.where(PlateRead.observed_at < end_utc)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PlateRead.observed_at.desc(), PlateRead.id.desc()).limit(limit).offset(offset)
    ).all()
    query = {"plate": plate, "camera_id": camera_id, "limit": limit, "offset": offset,
             "start": start_utc.isoformat() if start_utc else None,
             "end": end_utc.isoformat() if end_utc else None}
    audit.record(
        session, now=services.clock.now(), actor=user.actor, action="reads.search",
        target=f"plate:{plate}" if plate else "reads", case_number=case_number.strip(),
        details={"reason": reason.strip(), "query": query, "results": len(rows), "total": total},
    )
    session.commit()
    items = [read_payload(r) for r in rows]
    return {"items": items, "count": len(items), "total": total, "limit": limit, "offset": offset}


@router.get("/api/reads/{read_id}", dependencies=[Depends(require("reads:view"))])
def get_read(
    read_id: Annotated[int, Path(ge=1, le=2**62)],
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    read = session.get(PlateRead, read_id)
    visible = read is not None and user.sees_camera(read.camera_id)
    audit.record(
        session, now=services.clock.now(), actor=user.actor, action="reads.view",
        target=f"read:{read_id}", outcome="success" if visible else "not_found",
        case_number=case_number,
    )
    session.commit()
    if read is None or not visible:
        raise NotFoundError(f"no plate read {read_id}")
    return read_payload(read)
