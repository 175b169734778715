"""Retention: the auditor's report, legal holds (supervisors), and an on-demand run (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from retention.executor import Executor, RunOptions
from retention.holds import create_hold, get_hold, hold_payload, list_holds, release_hold
from retention.report import build_report
from rtcc import audit
from web.deps import IdPath, ServicesDep, SessionDep
from web.security import CurrentUser, require

router = APIRouter(tags=["retention"])


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    data_class: Literal["plate_reads", "hits", "video", "all"]
    expires_at: datetime
    item_ids: list[int] | None = Field(default=None, max_length=10_000)
    camera_id: str | None = Field(default=None, max_length=64)
    plate: str | None = Field(default=None, max_length=32)
    start_at: datetime | None = None
    end_at: datetime | None = None


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True
    force: bool = False


@router.get("/api/retention/report", dependencies=[Depends(require("retention:view"))])
def retention_report(
    user: CurrentUser, services: ServicesDep, session: SessionDep
) -> dict[str, Any]:
    now = services.clock.now()
    report = build_report(
        session, now=now, settings=services.settings.retention, data_dir=services.settings.data_dir
    )
    audit.record(
        session,
        now=now,
        actor=user.actor,
        action="retention.report",
        details={"compliant": report["compliant"]},
    )
    session.commit()
    return report


@router.get("/api/retention/holds", dependencies=[Depends(require("holds:manage"))])
def holds_list(
    services: ServicesDep,
    session: SessionDep,
    include_inactive: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    now = services.clock.now()
    items = [
        hold_payload(h, now=now)
        for h in list_holds(session, now=now, include_inactive=include_inactive)
    ]
    return {"items": items, "count": len(items)}


@router.post(
    "/api/retention/holds", status_code=201, dependencies=[Depends(require("holds:manage"))]
)
def holds_create(
    body: HoldIn, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> dict[str, Any]:
    now = services.clock.now()
    hold = create_hold(session, now=now, actor=user.actor, **body.model_dump())
    session.commit()
    return hold_payload(hold, now=now)


@router.get("/api/retention/holds/{hold_id}", dependencies=[Depends(require("holds:manage"))])
def holds_get(hold_id: IdPath, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    return hold_payload(get_hold(session, hold_id=hold_id), now=services.clock.now())


@router.post(
    "/api/retention/holds/{hold_id}/release", dependencies=[Depends(require("holds:manage"))]
)
def holds_release(
    hold_id: IdPath, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> dict[str, Any]:
    now = services.clock.now()
    hold = release_hold(session, hold_id=hold_id, now=now, actor=user.actor)
    session.commit()
    return hold_payload(hold, now=now)


@router.post("/api/retention/run", dependencies=[Depends(require("retention:run"))])
def retention_run(body: RunIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    ex = Executor(
        sessions=services.sessions,
        settings=services.settings.retention,
        data_dir=services.settings.data_dir,
        clock=services.clock,
    )
    return ex.run(RunOptions(dry_run=body.dry_run, force=body.force, actor=user.actor)).as_dict()
