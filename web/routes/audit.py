"""The audit log for auditors: filtered listing, CSV export and chain verification.

Every look at the log is itself recorded (``audit.view`` / ``audit.export`` / ``audit.verify``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.clock import as_utc
from rtcc.csvsafe import csv_text
from rtcc.errors import InvalidInputError
from rtcc.models import AuditEvent
from rtcc.schemas.audit import AuditEventOut, AuditPage, VerifyOut
from rtcc.schemas.types import ApiDatetime
from web.deps import ServicesDep, SessionDep
from web.security import CurrentUser, require

router = APIRouter(tags=["audit"])

CSV_COLUMNS = ("id", "at", "username", "role", "source", "credential", "action", "target",
               "outcome", "case_number", "details", "prev_hash", "hash")
MAX_EXPORT = 100_000


class AuditFilter:
    """Query parameters shared by the listing and the export."""

    def __init__(
        self,
        username: Annotated[str | None, Query(max_length=100)] = None,
        action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.:-]+$")] = None,
        case_number: Annotated[str | None, Query(max_length=64)] = None,
        start: ApiDatetime | None = None,
        end: ApiDatetime | None = None,
    ) -> None:
        self.username = username
        self.action = action
        self.case_number = case_number
        self.start = as_utc(start) if start else None
        self.end = as_utc(end) if end else None
        if self.start and self.end and self.start >= self.end:
            raise InvalidInputError("start must be before end", field="start")

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.username:
            stmt = stmt.where(AuditEvent.username == self.username)
        if self.action:
            # "auth" matches auth.login, auth.logout, ...; "auth.login" matches exactly.
            stmt = stmt.where(
                (AuditEvent.action == self.action) | AuditEvent.action.like(f"{self.action}.%")
            )
        if self.case_number:
            stmt = stmt.where(AuditEvent.case_number == self.case_number)
        if self.start:
            stmt = stmt.where(AuditEvent.at >= self.start)
        if self.end:
            stmt = stmt.where(AuditEvent.at < self.end)
        return stmt

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username, "action": self.action, "case_number": self.case_number,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


FilterDep = Annotated[AuditFilter, Depends()]


def event_dict(ev: AuditEvent) -> dict[str, Any]:
    return {
        "id": ev.id, "at": ev.at.isoformat(), "username": ev.username, "role": ev.role,
        "source": ev.source, "credential": ev.credential, "action": ev.action,
        "target": ev.target, "outcome": ev.outcome,
        "case_number": ev.case_number, "details": ev.details, "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def _rows(session: Session, filt: AuditFilter, *, limit: int, offset: int) -> list[AuditEvent]:
    stmt = filt.apply(select(AuditEvent)).order_by(AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(stmt.offset(offset)))


@router.get(
    "/api/audit", dependencies=[Depends(require("audit:view"))],
    response_model=AuditPage,
)
def list_audit(
    filt: FilterDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    items = [
        AuditEventOut.model_validate(event_dict(ev))
        for ev in _rows(session, filt, limit=limit, offset=offset)
    ]
    audit.record(session, now=services.clock.now(), actor=user.actor, action="audit.view",
                 details={"filter": filt.as_dict(), "results": len(items)})
    session.commit()
    return AuditPage(items=items, count=len(items), limit=limit, offset=offset)


@router.get(
    "/api/audit/export.csv",
    dependencies=[Depends(require("audit:view"))],
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_audit(
    filt: FilterDep,
    user: CurrentUser,
    services: ServicesDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT)] = 10_000,
) -> Response:
    rows = _rows(session, filt, limit=limit, offset=0)
    lines = []
    for ev in rows:
        data = event_dict(ev)
        data["details"] = json.dumps(ev.details, sort_keys=True) if ev.details else ""
        lines.append([data[c] for c in CSV_COLUMNS])
    text = csv_text(CSV_COLUMNS, lines)
    audit.record(session, now=services.clock.now(), actor=user.actor, action="audit.export",
                 details={"filter": filt.as_dict(), "results": len(rows)})
    session.commit()
    return Response(
        text, media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get(
    "/api/audit/verify", dependencies=[Depends(require("audit:view"))],
    response_model=VerifyOut,
)
def verify_audit(user: CurrentUser, services: ServicesDep, session: SessionDep) -> VerifyOut:
    problem = audit.verify(session)
    result: dict[str, Any] = {"ok": problem is None, "problem": None}
    if problem is not None:
        result["problem"] = {"row_id": problem.row_id, "kind": problem.kind,
                             "message": problem.message}
    audit.record(session, now=services.clock.now(), actor=user.actor, action="audit.verify",
                 outcome="success" if problem is None else "failure",
                 details={"problem": result["problem"]})
    session.commit()
    return VerifyOut.model_validate(result)
