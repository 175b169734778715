"""Gunshot alerts for the console: the list for the map, one alert with its versions, covering
cameras' bookmarks and outcomes, reads near it (a count; the plates only through a stated
purpose and case number, audited), and recording what the alert led to."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from rtcc.clock import as_utc
from rtcc.integrations import coverage
from rtcc.integrations.gunshot import latest_alerts, versions
from rtcc.integrations.gunshot_service import latest, outcomes, record_outcome
from rtcc.schemas.integrations import (
    BookmarkOut,
    GunshotAlertOut,
    GunshotDetailOut,
    GunshotListOut,
    OutcomeIn,
    OutcomeOut,
    ReadsNearCountOut,
    ReadsNearOut,
)
from rtcc.schemas.reads import ReadOut
from rtcc.schemas.types import ApiDatetime
from web.deps import ServicesDep, SessionDep
from web.purpose_gate import audit_search
from web.routes.reads import SearchDep
from web.security import CurrentUser, VisibleScope, require

router = APIRouter(tags=["gunshots"])

SourcePath = Annotated[str, Path(min_length=1, max_length=64)]
AlertPath = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/api/gunshots", response_model=GunshotListOut,
            dependencies=[Depends(require("gunshots:view"))])
def list_gunshots(
    session: SessionDep,
    since: ApiDatetime | None = None,
    until: ApiDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> GunshotListOut:
    """The latest version of each alert detected in ``[since, until)``, newest first."""
    rows = latest_alerts(session, since=as_utc(since) if since else None,
                         until=as_utc(until) if until else None, limit=limit)
    items = [GunshotAlertOut.of(r) for r in rows]
    return GunshotListOut(items=items, count=len(items))


@router.get("/api/gunshots/{source}/{alert_id}", response_model=GunshotDetailOut,
            dependencies=[Depends(require("gunshots:view"))])
def get_gunshot(
    source: SourcePath, alert_id: AlertPath, session: SessionDep, services: ServicesDep,
    scope: VisibleScope,
) -> GunshotDetailOut:
    rows = versions(session, source=source, alert_id=alert_id)
    if not rows:
        latest(session, source=source, alert_id=alert_id)  # raises 404
    cfg = services.settings.integrations.gunshot
    marks = [m for m in coverage.bookmarks(session, source=source, alert_id=alert_id)
             if scope.sees_camera(m.camera_id)]
    cameras = None if scope.cameras is None else tuple(scope.cameras)
    count = coverage.count_reads_near(session, alert=rows[-1], cfg=cfg, cameras=cameras)
    window = timedelta(seconds=cfg.reads_window_s)
    return GunshotDetailOut(
        alert=GunshotAlertOut.of(rows[-1]),
        versions=[GunshotAlertOut.of(r) for r in rows],
        bookmarks=[BookmarkOut.of(m) for m in marks],
        outcomes=[OutcomeOut.of(o) for o in outcomes(session, source=source, alert_id=alert_id)],
        reads_near=ReadsNearCountOut(
            count=count, radius_m=cfg.reads_radius_m,
            start=rows[-1].detected_at - window, end=rows[-1].detected_at + window,
        ),
    )


@router.get("/api/gunshots/{source}/{alert_id}/reads", response_model=ReadsNearOut,
            dependencies=[Depends(require("reads:search"))])
def gunshot_reads(
    source: SourcePath, alert_id: AlertPath, session: SessionDep, services: ServicesDep,
    user: CurrentUser, scope: VisibleScope, search: SearchDep,
) -> ReadsNearOut:
    """The plate reads near the alert: a search like any other (purpose, reason and case number,
    the same policy and audit as ``/api/reads``)."""
    alert = latest(session, source=source, alert_id=alert_id)
    cameras = None if scope.cameras is None else tuple(scope.cameras)
    reads = coverage.reads_near(session, alert=alert,
                                cfg=services.settings.integrations.gunshot, cameras=cameras)
    audit_search(session, services, user, search, "reads.search", {
        "query": {"near_gunshot": f"{source}:{alert_id}"[:200]}, "results": len(reads)})
    items = [ReadOut.of(r) for r in reads]
    return ReadsNearOut(items=items, count=len(items), case_number=search.case_number)


@router.post("/api/gunshots/{source}/{alert_id}/outcome", response_model=OutcomeOut,
             status_code=201, dependencies=[Depends(require("gunshots:act"))])
def add_outcome(
    source: SourcePath, alert_id: AlertPath, body: OutcomeIn, session: SessionDep,
    services: ServicesDep, user: CurrentUser,
) -> OutcomeOut:
    """Record what the alert led to (evidence found or not, case number); appended, audited."""
    row = record_outcome(
        session, source=source, alert_id=alert_id, evidence_found=body.evidence_found,
        case_number=body.case_number, note=body.note, actor=user.actor,
        now=services.clock.now(),
    )
    session.commit()
    return OutcomeOut.of(row)
