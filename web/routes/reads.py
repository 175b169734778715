"""Purpose-gated search of plate reads, and the audited view of one read.

Every search states why (``reason``, at least ``auth.min_reason_length`` characters) and for
which case (``case_number``); the query, the reason and the number of results go to the audit
trail. ``plate`` takes ``*`` (any run of characters) and ``?`` (one character).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import Select, func, select

from rtcc import audit
from rtcc.auth import visibility
from rtcc.clock import as_utc
from rtcc.csvsafe import csv_from_dicts
from rtcc.errors import InvalidInputError
from rtcc.models import PlateRead
from rtcc.plates import MAX_PLATE_LENGTH
from rtcc.schemas.common import CSV_RESPONSE
from rtcc.schemas.reads import ReadOut, ReadPage, RecentReads
from rtcc.schemas.types import ApiDatetime
from web.deps import ServicesDep, SessionDep
from web.looks import Looks
from web.purpose_gate import audit_search, live_since, state_purpose
from web.security import CurrentUser, Scope, VisibleScope, require

router = APIRouter(tags=["reads"])

_PATTERN_JUNK = re.compile(r"[^A-Z0-9*?]")
EXPORT_MAX_ROWS = 10_000


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


@dataclass(frozen=True)
class Search:
    """A purpose-stated search: why, for which case, and what."""

    reason: str
    case_number: str
    plate: str | None
    camera_id: str | None
    start: datetime | None
    end: datetime | None
    purpose: str | None = None  # a code from oversight.purposes
    legal_basis: str | None = None

    def statement(self, scope: Scope) -> Select[PlateRead]:
        """The search over the reads the caller may see."""
        stmt = select(PlateRead).where(scope.reads())
        if self.plate:
            pattern, wildcard = plate_pattern(self.plate)
            column = PlateRead.plate
            stmt = stmt.where(column.like(pattern) if wildcard else column == pattern)
        if self.camera_id:
            stmt = stmt.where(PlateRead.camera_id == self.camera_id)
        if self.start:
            stmt = stmt.where(PlateRead.observed_at >= self.start)
        if self.end:
            stmt = stmt.where(PlateRead.observed_at < self.end)
        return stmt

    def query(self, **extra: Any) -> dict[str, Any]:
        return {
            "plate": self.plate,
            "camera_id": self.camera_id,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            **extra,
        }


def search_params(
    services: ServicesDep,
    user: CurrentUser,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    legal_basis: Annotated[str | None, Query(max_length=500)] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    plate: Annotated[str | None, Query(max_length=40)] = None,
    camera_id: Annotated[str | None, Query(max_length=64)] = None,
    start: ApiDatetime | None = None,
    end: ApiDatetime | None = None,
) -> Search:
    why = state_purpose(services, user, purpose=purpose, legal_basis=legal_basis,
                        reason=reason, case_number=case_number,
                        query={"plate": plate, "camera_id": camera_id})
    start_utc = as_utc(start) if start else None
    end_utc = as_utc(end) if end else None
    if start_utc and end_utc and start_utc >= end_utc:
        raise InvalidInputError("start must be before end", field="start")
    if plate:
        plate_pattern(plate)  # validate before anything runs
    return Search(why.reason, why.case_number, plate, camera_id, start_utc, end_utc,
                  purpose=why.purpose, legal_basis=why.legal_basis)


SearchDep = Annotated[Search, Depends(search_params)]


@router.get("/api/reads", dependencies=[Depends(require("reads:search"))], response_model=ReadPage)
def search_reads(
    user: CurrentUser,
    scope: VisibleScope,
    services: ServicesDep,
    session: SessionDep,
    search: SearchDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ReadPage:
    stmt = search.statement(scope)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PlateRead.observed_at.desc(), PlateRead.id.desc()).limit(limit).offset(offset)
    ).all()
    audit_search(
        session, services, user, search, "reads.search",
        {"query": search.query(limit=limit, offset=offset), "results": len(rows), "total": total},
    )
    items = [ReadOut.of(r) for r in rows]
    return ReadPage(items=items, count=len(items), total=total, limit=limit, offset=offset)


EXPORT_COLUMNS = ["id", "plate", "camera_id", "observed_at", "last_seen_at", "confidence",
                  "status", "frames", "snapshot_url", "crop_url"]


@router.get(
    "/api/reads/export.csv", dependencies=[Depends(require("reads:search"))],
    response_class=Response, responses=CSV_RESPONSE,
)
def export_reads(
    user: CurrentUser,
    scope: VisibleScope,
    services: ServicesDep,
    session: SessionDep,
    search: SearchDep,
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX_ROWS)] = EXPORT_MAX_ROWS,
) -> Response:
    """The same purpose-gated search as CSV (audited as an export)."""
    rows = session.scalars(
        search.statement(scope).order_by(PlateRead.observed_at.desc(), PlateRead.id.desc())
        .limit(limit)
    ).all()
    audit_search(
        session, services, user, search, "reads.export",
        {"query": search.query(limit=limit), "results": len(rows), "format": "csv"},
    )
    text = csv_from_dicts(EXPORT_COLUMNS, (ReadOut.of(r).model_dump(mode="json") for r in rows))
    name = f"reads-{search.case_number.replace('/', '_')}.csv"
    return Response(
        text, media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/api/reads/recent", dependencies=[Depends(require("reads:live"))],
    response_model=RecentReads,
)
def recent_reads(
    scope: VisibleScope,
    services: ServicesDep,
    session: SessionDep,
    looks: Looks,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RecentReads:
    """The newest reads within the live window, as the live feed shows them (what the user's
    cameras saw); older reads are reached by a purpose-gated search."""
    stmt = select(PlateRead).where(scope.reads(), PlateRead.observed_at >= live_since(services))
    rows = session.scalars(
        stmt.order_by(PlateRead.observed_at.desc(), PlateRead.id.desc()).limit(limit)
    ).all()
    items = [ReadOut.of(r) for r in rows]
    looks.saw("reads.live", items=[{"read": r.id, "plate": r.plate} for r in items])
    return RecentReads(items=items, count=len(items))


@router.get(
    "/api/reads/{read_id}", dependencies=[Depends(require("reads:view"))], response_model=ReadOut
)
def get_read(
    read_id: Annotated[int, Path(ge=1, le=2**62)],
    user: CurrentUser,
    scope: VisibleScope,
    services: ServicesDep,
    session: SessionDep,
    purpose: Annotated[str | None, Query(max_length=64)] = None,
    legal_basis: Annotated[str | None, Query(max_length=500)] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
) -> ReadOut:
    """One read. Within the live window this is a look; an older read needs the same stated
    purpose as a search, so the detail route cannot walk the history."""
    read = session.get(PlateRead, read_id)
    visible = read is not None and scope.sees_camera(read.camera_id)
    outcome = "success" if visible else "not_found"
    old = visible and read is not None and as_utc(read.observed_at) < live_since(services)
    if not old and reason is None and purpose is None:
        audit.record(
            session, now=services.clock.now(), actor=user.actor, action="reads.view",
            target=f"read:{read_id}", outcome=outcome, case_number=case_number,
        )
        session.commit()
    else:
        why = state_purpose(services, user, purpose=purpose, legal_basis=legal_basis,
                            reason=reason, case_number=case_number, query={"read": read_id})
        audit_search(session, services, user, why, "reads.view", {"read": read_id},
                     target=f"read:{read_id}", outcome=outcome)
    return ReadOut.of(visibility.require_read(scope, read, read_id))
