"""Hits: list, one hit with its read, entry and list, and the officer workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotlist import hits as workflow
from rtcc.audit import Actor
from rtcc.errors import NotFoundError
from rtcc.events import Event
from rtcc.models import Hit, Hotlist, HotlistEntry, PlateRead
from rtcc.runtime.payloads import entry_payload, hit_payload, read_payload
from web import security
from web.deps import IdPath, ServicesDep, SessionDep

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


def visible(request: Request, hotlist_id: int | None, restricted: bool | None) -> bool:
    """Restricted lists' hits only for users assigned to them (when auth provides a principal)."""
    principal = getattr(request.state, "principal", None)
    if principal is None or not hasattr(principal, "sees_hotlist"):
        return not restricted
    return bool(principal.sees_hotlist(hotlist_id, restricted=bool(restricted)))


ActorDep = Annotated[Actor, Depends(acting_actor)]


class RejectBody(BaseModel):
    reason: Literal["misread", "wrong_state", "vehicle_mismatch", "entry_expired", "other"]
    text: str | None = Field(default=None, max_length=2000)


class ConfirmBody(BaseModel):
    visual_check: bool = Field(description="the officer compared the plate image to the entry")
    text: str | None = Field(default=None, max_length=2000)


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class AckBody(BaseModel):
    text: str | None = Field(default=None, max_length=2000)


@router.get("/api/hits", dependencies=VIEW)
def list_hits(
    request: Request,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(new|acknowledged|confirmed|rejected)$")] = None,
    camera_id: Annotated[str | None, Query(max_length=64)] = None,
    hotlist_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    historical: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    stmt = (
        select(Hit, PlateRead, Hotlist)
        .outerjoin(PlateRead, PlateRead.id == Hit.read_id)
        .outerjoin(Hotlist, Hotlist.id == Hit.hotlist_id)
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
    items = [
        hit_payload(h, r, hotlist=hl)
        for h, r, hl in session.execute(stmt)
        if visible(request, h.hotlist_id, hl.restricted if hl else None)
    ]
    return {"items": items, "count": len(items)}


def _detail(session: Session, hit: Hit) -> dict[str, Any]:
    read = session.get(PlateRead, hit.read_id) if hit.read_id else None
    entry = session.get(HotlistEntry, hit.entry_id) if hit.entry_id else None
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    out = hit_payload(hit, read, entry=entry, hotlist=hotlist)
    out["read"] = (
        None
        if read is None
        else {**read_payload(read), "char_confidences": read.char_confidences, "box": read.box}
    )
    out["entry"] = None if entry is None else entry_payload(entry)
    out["list"] = (
        None
        if hotlist is None
        else {
            "id": hotlist.id,
            "name": hotlist.name,
            "kind": hotlist.kind,
            "priority": hotlist.priority,
            "colour": hotlist.colour,
            "restricted": hotlist.restricted,
            "source": hotlist.source,
        }
    )
    out["history"] = [
        {
            "at": e.at.isoformat(),
            "username": e.username,
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "note": e.note,
        }
        for e in workflow.history(session, hit.id)
    ]
    return out


def _load(request: Request, session: Session, hit_id: int) -> Hit:
    hit = workflow.get_hit(session, hit_id)
    hotlist = session.get(Hotlist, hit.hotlist_id) if hit.hotlist_id else None
    if not visible(request, hit.hotlist_id, hotlist.restricted if hotlist else None):
        raise NotFoundError(f"no hit {hit_id}")
    return hit


@router.get("/api/hits/{hit_id}", dependencies=VIEW)
def get_hit(hit_id: IdPath, request: Request, session: SessionDep) -> dict[str, Any]:
    return _detail(session, _load(request, session, hit_id))


def _act(
    services: ServicesDep,
    session: Session,
    request: Request,
    actor: Actor,
    hit_id: IdPath,
    action: str,
    **kwargs: Any,
) -> dict[str, Any]:
    hit = _load(request, session, hit_id)
    now = services.clock.now()
    if action == "note":
        workflow.add_note(session, hit=hit, actor=actor, now=now, text=kwargs["text"])
    else:
        workflow.transition(session, hit=hit, action=action, actor=actor, now=now, **kwargs)
    session.commit()
    out = _detail(session, hit)
    services.bus.publish(Event("hit_updated", {k: v for k, v in out.items() if k != "read"}))
    return out


@router.post("/api/hits/{hit_id}/acknowledge", dependencies=ACT)
def acknowledge(
    hit_id: IdPath,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    body: AckBody | None = None,
) -> dict[str, Any]:
    text = body.text if body else None
    return _act(services, session, request, actor, hit_id, "acknowledge", text=text)


@router.post("/api/hits/{hit_id}/confirm", dependencies=ACT)
def confirm(
    hit_id: IdPath,
    body: ConfirmBody,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> dict[str, Any]:
    return _act(
        services,
        session,
        request,
        actor,
        hit_id,
        "confirm",
        visual_check=body.visual_check,
        text=body.text,
    )


@router.post("/api/hits/{hit_id}/reject", dependencies=ACT)
def reject(
    hit_id: IdPath,
    body: RejectBody,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> dict[str, Any]:
    return _act(
        services, session, request, actor, hit_id, "reject", reason=body.reason, text=body.text
    )


@router.post("/api/hits/{hit_id}/notes", dependencies=ACT)
def add_note(
    hit_id: IdPath,
    body: NoteBody,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
) -> dict[str, Any]:
    return _act(services, session, request, actor, hit_id, "note", text=body.text)
