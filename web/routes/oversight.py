"""Search oversight: purpose codes (anyone who searches), the auditor's review queue of sampled
searches, and unusual search volume alerts (supervisors and auditors)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hotlist import governance
from rtcc.models import SearchVolumeAlert
from rtcc.oversight import review as reviews
from rtcc.oversight import volume
from rtcc.schemas.common import Page
from rtcc.schemas.hotlists import EntryOut
from rtcc.schemas.oversight import (
    PurposesOut,
    ReviewIn,
    SampleIn,
    SearchReviewOut,
    SearchReviewPage,
    VolumeAlertOut,
    VolumeAlertPage,
)
from web.deps import IdPath, ServicesDep, SessionDep
from web.security import CurrentUser, require

router = APIRouter(tags=["oversight"])
_rng = random.SystemRandom()  # the sample must not be predictable by the people sampled


@router.get("/api/oversight/purposes", response_model=PurposesOut,
            dependencies=[Depends(require("reads:search"))])
def purposes(services: ServicesDep) -> PurposesOut:
    o = services.settings.oversight
    return PurposesOut(purposes=o.purposes, prohibited_purposes=o.prohibited_purposes,
                       legal_basis_required=o.legal_basis_required)


@router.get("/api/oversight/reviews", response_model=SearchReviewPage,
            dependencies=[Depends(require("oversight:review"))])
def list_reviews(
    session: SessionDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    pending: bool = False,
) -> SearchReviewPage:
    items = [SearchReviewOut(**reviews.summary(r, e))
             for r, e in reviews.queue(session, month=month, pending=pending)]
    return SearchReviewPage(items=items, count=len(items))


@router.post("/api/oversight/reviews/sample", response_model=SearchReviewPage,
             dependencies=[Depends(require("oversight:review"))])
def draw(
    body: SampleIn, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> SearchReviewPage:
    reviews.draw_sample(session, month=body.month,
                        size=services.settings.oversight.monthly_sample_size,
                        now=services.clock.now(), rng=_rng, actor=user.actor)
    session.commit()
    items = [SearchReviewOut(**reviews.summary(r, e))
             for r, e in reviews.queue(session, month=body.month)]
    return SearchReviewPage(items=items, count=len(items))


@router.post("/api/oversight/reviews/{review_id}", response_model=SearchReviewOut,
             dependencies=[Depends(require("oversight:review"))])
def mark(
    review_id: IdPath, body: ReviewIn, user: CurrentUser, services: ServicesDep,
    session: SessionDep,
) -> SearchReviewOut:
    row = reviews.review(session, review_id=review_id, justified=body.justified, note=body.note,
                         actor=user.actor, now=services.clock.now())
    session.commit()
    event = next((e for r, e in reviews.queue(session, month=row.month) if r.id == row.id), None)
    return SearchReviewOut(**reviews.summary(row, event))


@router.get("/api/oversight/expiring-entries", response_model=Page[EntryOut],
            dependencies=[Depends(require("hotlists:manage"))])
def expiring_entries(
    user: CurrentUser, services: ServicesDep, session: SessionDep, mine: bool = True,
) -> Page[EntryOut]:
    """Manual hotlist entries expiring within the reminder window (the caller's, or all)."""
    days = services.settings.hotlist_governance.remind_days_before
    rows = governance.expiring(session, now=services.clock.now(), within=timedelta(days=days),
                               owner=user.username if mine else None)
    items = [EntryOut.of(e) for e in rows]
    return Page[EntryOut](items=items, count=len(items))


def _alert(a: SearchVolumeAlert) -> VolumeAlertOut:
    return VolumeAlertOut(id=a.id, username=a.username, day=a.day, searches=a.searches,
                          baseline=a.baseline, created_at=a.created_at,
                          acknowledged_by=a.acknowledged_by, acknowledged_at=a.acknowledged_at)


@router.get("/api/oversight/alerts", response_model=VolumeAlertPage,
            dependencies=[Depends(require("oversight:alerts"))])
def list_alerts(
    services: ServicesDep, session: SessionDep, open_only: bool = False
) -> VolumeAlertPage:
    volume.check(session, now=services.clock.now(), settings=services.settings.oversight)
    session.commit()  # today's alerts are raised before they are listed
    items = [_alert(a) for a in volume.alerts(session, open_only=open_only)]
    return VolumeAlertPage(items=items, count=len(items))


@router.post("/api/oversight/alerts/{alert_id}/acknowledge", response_model=VolumeAlertOut,
             dependencies=[Depends(require("oversight:alerts"))])
def acknowledge(
    alert_id: IdPath, user: CurrentUser, services: ServicesDep, session: SessionDep
) -> VolumeAlertOut:
    alert = volume.acknowledge(session, alert_id=alert_id, actor=user.actor,
                               now=services.clock.now())
    session.commit()
    return _alert(alert)
