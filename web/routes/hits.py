"""Hits: list, one hit with its read, entry and list, and the officer workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist import hits as workflow
from rtcc.audit import Actor
from rtcc.auth import visibility
from rtcc.events import HitUpdatedEvent
from rtcc.models import Hit, Hotlist, PlateRead
from rtcc.schemas.hits import HitDetailOut, HitOut, HitPage
from rtcc.schemas.types import ApiDatetime
from rtcc.vocab import HitStatus, RejectReason
from web import security
from web.deps import IdPath, ServicesDep, SessionDep
from web.looks import Looks
from web.purpose_gate import live_since
from web.security import Scope, VisibleScope

router = APIRouter()
VIEW = [Depends(security.require("hits:view"))]
ACT = [Depends(security.require("hits:act"))]


def acting_actor(request: Request) -> Actor:
    """Who is acting. Uses the auth layer's principal when it has set one on the request
    (``request.state.principal`` with ``.actor``); until then the user is "anonymous"."""
    principal = getattr(request.state, "principal", None)
    if principal is not None and hasattr(principal, "actor"):
        return principal.actor  # type: ignore[no-any-return]
    return Actor(username="anonymous", source=request.client.host if request.client else None)


ActorDep = Annotated[Actor, Depends(acting_actor)]


class RejectBody(BaseModel):
    reason: RejectReason
    text: str | None = Field(default=None, max_length=2000)


class ConfirmBody(BaseModel):
    visual_check: bool = Field(description="the officer compared the plate image to the entry")
    text: str | None = Field(default=None, max_length=2000)


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class AckBody(BaseModel):
    text: str | None = Field(default=None, max_length=2000)


@router.get("/api/hits", dependencies=VIEW, response_model=HitPage)
def list_hits(
    scope: VisibleScope,
    services: ServicesDep,
    session: SessionDep,
    looks: Looks,
    status: HitStatus | None = None,
    camera_id: Annotated[str | None, Query(max_length=64)] = None,
    hotlist_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    start: ApiDatetime | None = None,
    end: ApiDatetime | None = None,
    historical: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> HitPage:
    """Hits raised or handled within the live window, and new hits still waiting for an
    officer; older history is reached by a purpose-gated search, not by ``start``."""
    live = (Hit.updated_at >= live_since(services)) | (Hit.status == HitStatus.NEW.value)
    stmt = (
        select(Hit, PlateRead, Hotlist)
        .outerjoin(PlateRead, PlateRead.id == Hit.read_id)
        .outerjoin(Hotlist, Hotlist.id == Hit.hotlist_id)
        .where(scope.hits(), live)
        .order_by(Hit.observed_at.desc(), Hit.id.desc())
        .limit(limit)
    )
    filters = {
        Hit.status: status,
        Hit.camera_id: camera_id,
        Hit.hotlist_id: hotlist_id,
        Hit.historical: historical,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if start:
        stmt = stmt.where(Hit.observed_at >= start)
    if end:
        stmt = stmt.where(Hit.observed_at < end)
    items = [HitOut.of(h, r, hotlist=hl) for h, r, hl in session.execute(stmt)]
    looks.saw("hits", items=[{"hit": h.id, "plate": h.plate} for h in items])
    return HitPage(items=items, count=len(items))


def _load(scope: Scope, session: Session, hit_id: int) -> Hit:
    """The hit, or 404 when it does not exist or the caller may not see it."""
    return visibility.require_hit(session, scope, workflow.get_hit(session, hit_id))


@router.get("/api/hits/{hit_id}", dependencies=VIEW, response_model=HitDetailOut)
def get_hit(
    hit_id: IdPath, scope: VisibleScope, session: SessionDep, looks: Looks
) -> HitDetailOut:
    out = HitDetailOut.load(session, _load(scope, session, hit_id))
    looks.saw("hit", target=f"hit:{hit_id}", read_id=out.read_id,
              sightings=[s.read_id for s in out.sightings], case_number=out.case_number)
    return out


def _act(
    services: ServicesDep,
    session: Session,
    scope: Scope,
    actor: Actor,
    hit_id: IdPath,
    action: str,
    **kwargs: Any,
) -> HitDetailOut:
    hit = _load(scope, session, hit_id)
    now = services.clock.now()
    if action == "note":
        workflow.add_note(session, hit=hit, actor=actor, now=now, text=kwargs["text"])
    else:
        workflow.transition(
            session, hit=hit, action=action, actor=actor, now=now,
            data_dir=services.settings.data_dir, **kwargs,
        )
    session.commit()
    out = HitDetailOut.load(session, hit)
    services.bus.publish(HitUpdatedEvent(**dict(out)))
    return out


@router.post(
    "/api/hits/{hit_id}/acknowledge", dependencies=ACT, response_model=HitDetailOut
)
def acknowledge(
    hit_id: IdPath,
    scope: VisibleScope,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    body: AckBody | None = None,
) -> HitDetailOut:
    text = body.text if body else None
    return _act(services, session, scope, actor, hit_id, "acknowledge", text=text)


@router.post(
    "/api/hits/{hit_id}/confirm", dependencies=ACT, response_model=HitDetailOut
)
def confirm(
    hit_id: IdPath,
    body: ConfirmBody,
    scope: VisibleScope,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> HitDetailOut:
    return _act(
        services,
        session,
        scope,
        actor,
        hit_id,
        "confirm",
        visual_check=body.visual_check,
        text=body.text,
    )


@router.post(
    "/api/hits/{hit_id}/reject", dependencies=ACT, response_model=HitDetailOut
)
def reject(
    hit_id: IdPath,
    body: RejectBody,
    scope: VisibleScope,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> HitDetailOut:
    return _act(
        services, session, scope, actor, hit_id, "reject", reason=body.reason, text=body.text
    )


@router.post(
    "/api/hits/{hit_id}/notes", dependencies=ACT, response_model=HitDetailOut
)
def add_note(
    hit_id: IdPath,
    body: NoteBody,
    scope: VisibleScope,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> HitDetailOut:
    return _act(services, session, scope, actor, hit_id, "note", text=body.text)
