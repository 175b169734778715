"""Retention: the auditor's report, legal holds (supervisors), and an on-demand run (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from retention.executor import Executor, RunOptions
from retention.holds import (
    create_hold,
    extend_hold,
    get_hold,
    hold_payload,
    list_holds,
    release_hold,
)
from retention.report import build_report
from rtcc import audit
from rtcc.audit_anchor import anchor_from_settings
from rtcc.runtime.anchoring import AfterRetention
from rtcc.schemas.retention import HoldOut, HoldPage, ReportOut, RunOut
from rtcc.schemas.types import ApiDatetime
from rtcc.vocab import HoldClass
from web.deps import IdPath, ServicesDep, SessionDep
from web.looks import Looks
from web.security import CurrentUser, require

router = APIRouter(tags=["retention"])


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    data_class: HoldClass
    expires_at: ApiDatetime
    item_ids: list[int] | None = Field(default=None, max_length=10_000)
    camera_id: str | None = Field(default=None, max_length=64)
    plate: str | None = Field(default=None, max_length=32)
    start_at: ApiDatetime | None = None
    end_at: ApiDatetime | None = None


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True
    force: bool = False


@router.get(
    "/api/retention/report", dependencies=[Depends(require("retention:view"))],
    response_model=ReportOut,
)
def retention_report(
    user: CurrentUser, services: ServicesDep, session: SessionDep
) -> ReportOut:
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
    return ReportOut.model_validate(report)


@router.get(
    "/api/retention/holds", dependencies=[Depends(require("holds:manage"))],
    response_model=HoldPage,
)
def holds_list(
    services: ServicesDep,
    session: SessionDep,
    looks: Looks,
    include_inactive: Annotated[bool, Query()] = False,
) -> HoldPage:
    now = services.clock.now()
    items = [
        HoldOut.model_validate(hold_payload(h, now=now))
        for h in list_holds(session, now=now, include_inactive=include_inactive)
    ]
    looks.saw("holds", items=[h.id for h in items])
    return HoldPage(items=items, count=len(items))


@router.post(
    "/api/retention/holds", status_code=201, dependencies=[Depends(require("holds:manage"))],
    response_model=HoldOut,
)
def holds_create(
    body: HoldIn, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> HoldOut:
    now = services.clock.now()
    hold = create_hold(session, now=now, actor=user.actor, **body.model_dump())
    session.commit()
    return HoldOut.model_validate(hold_payload(hold, now=now))


@router.get(
    "/api/retention/holds/{hold_id}", dependencies=[Depends(require("holds:manage"))],
    response_model=HoldOut,
)
def holds_get(
    hold_id: IdPath, services: ServicesDep, session: SessionDep, looks: Looks
) -> HoldOut:
    out = HoldOut.model_validate(
        hold_payload(get_hold(session, hold_id=hold_id), now=services.clock.now())
    )
    looks.saw("hold", target=f"hold:{hold_id}")
    return out


@router.post(
    "/api/retention/holds/{hold_id}/release",
    dependencies=[Depends(require("holds:manage"))],
    response_model=HoldOut,
)
def holds_release(
    hold_id: IdPath, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> HoldOut:
    now = services.clock.now()
    hold = release_hold(session, hold_id=hold_id, now=now, actor=user.actor)
    session.commit()
    return HoldOut.model_validate(hold_payload(hold, now=now))


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_at: ApiDatetime


@router.post(
    "/api/retention/holds/{hold_id}/extend",
    dependencies=[Depends(require("holds:manage"))],
    response_model=HoldOut,
)
def holds_extend(
    hold_id: IdPath, body: ExtendIn, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> HoldOut:
    now = services.clock.now()
    hold = extend_hold(session, hold_id=hold_id, expires_at=body.expires_at, now=now,
                       actor=user.actor)
    session.commit()
    return HoldOut.model_validate(hold_payload(hold, now=now))


@router.post(
    "/api/retention/run", dependencies=[Depends(require("retention:run"))],
    response_model=RunOut,
)
def retention_run(body: RunIn, user: CurrentUser, services: ServicesDep) -> RunOut:
    ex = Executor(
        sessions=services.sessions,
        settings=services.settings.retention,
        data_dir=services.settings.data_dir,
        clock=services.clock,
        after_run=AfterRetention(sessions=services.sessions, clock=services.clock,
                                 anchor=anchor_from_settings(services.settings)),
    )
    result = ex.run(RunOptions(dry_run=body.dry_run, force=body.force, actor=user.actor))
    return RunOut.model_validate(result.as_dict())
