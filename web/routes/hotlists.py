"""Hotlists: lists and their metadata, entries by hand, file uploads (merge or replace)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotlist import governance, service
from hotlist.importer import decode, parse_text
from rtcc.auth import visibility
from rtcc.errors import InvalidInputError
from rtcc.models import Hotlist, HotlistEntry
from rtcc.runtime.hotlists import announce_change, entry_added, import_hotlist, rebuild_index
from rtcc.schemas.hotlists import (
    DeletedOut,
    EntryOut,
    EntryPage,
    HotlistOut,
    HotlistPage,
    ImportOut,
    NewEntryOut,
)
from rtcc.schemas.types import ApiDatetime
from rtcc.vocab import HotlistFormat
from web import security
from web.deps import IdPath, ServicesDep, SessionDep
from web.looks import Looks
from web.routes.hits import ActorDep
from web.security import Scope, VisibleScope

router = APIRouter()
VIEW = [Depends(security.require("hotlists:view"))]
MANAGE = [Depends(security.require("hotlists:manage"))]
MAX_UPLOAD = 200 * 1024 * 1024


class ListFields(BaseModel):
    kind: str | None = Field(default=None, max_length=32)
    source: str | None = Field(default=None, max_length=200)
    priority: int | None = Field(default=None, ge=0, le=100)
    colour: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    restricted: bool | None = None
    description: str | None = Field(default=None, max_length=2000)
    manual_expiry_days: int | None = Field(default=None, ge=1, le=365)
    alert_on_historical: bool | None = None
    two_person_confirm: bool | None = None


class NewList(ListFields):
    name: str = Field(min_length=1, max_length=100)


class EntryExpiry(BaseModel):
    expires_at: ApiDatetime | None  # null clears the expiry


class NewEntry(BaseModel):
    plate: str = Field(min_length=1, max_length=20)
    state: str | None = Field(default=None, max_length=8)
    reason: str | None = Field(default=None, max_length=2000)
    case_number: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    expires_at: ApiDatetime | None = None  # default: the list's manual_expiry_days from now
    owner: str | None = Field(default=None, max_length=100)  # default: who adds it


def _visible_list(session: Session, scope: Scope, hotlist_id: int) -> Hotlist:
    """The list, or 404 when it does not exist or the caller may not see it."""
    return visibility.require_hotlist(scope, session.get(Hotlist, hotlist_id), hotlist_id)


@router.get("/api/hotlists", dependencies=VIEW, response_model=HotlistPage)
def list_hotlists(session: SessionDep, scope: VisibleScope) -> HotlistPage:
    rows = session.execute(
        select(HotlistEntry.hotlist_id, func.count()).group_by(HotlistEntry.hotlist_id)
    )
    counts = {hotlist_id: n for hotlist_id, n in rows}
    items = [
        HotlistOut.of(h, counts.get(h.id, 0))
        for h in session.scalars(
            select(Hotlist).where(scope.hotlists()).order_by(Hotlist.priority.desc(), Hotlist.name)
        )
    ]
    return HotlistPage(items=items, count=len(items))


@router.post(
    "/api/hotlists", dependencies=MANAGE, status_code=201,
    response_model=HotlistOut,
)
def create_hotlist(
    body: NewList, session: SessionDep, services: ServicesDep, actor: ActorDep
) -> HotlistOut:
    fields = body.model_dump(exclude={"name"}, exclude_none=True)
    fields.setdefault("manual_expiry_days",
                      services.settings.hotlist_governance.default_expiry_days)
    hl = service.create_list(
        session, name=body.name, now=services.clock.now(), actor=actor, **fields
    )
    session.commit()
    return HotlistOut.of(hl, 0)


@router.get(
    "/api/hotlists/{hotlist_id}", dependencies=VIEW,
    response_model=HotlistOut,
)
def get_hotlist(hotlist_id: IdPath, session: SessionDep, scope: VisibleScope) -> HotlistOut:
    hl = _visible_list(session, scope, hotlist_id)
    n = session.scalar(select(func.count()).where(HotlistEntry.hotlist_id == hl.id))
    return HotlistOut.of(hl, n)


@router.patch(
    "/api/hotlists/{hotlist_id}", dependencies=MANAGE,
    response_model=HotlistOut,
)
def update_hotlist(
    hotlist_id: IdPath,
    body: ListFields,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    scope: VisibleScope,
) -> HotlistOut:
    hl = _visible_list(session, scope, hotlist_id)
    service.update_list(
        session,
        hotlist=hl,
        now=services.clock.now(),
        actor=actor,
        **body.model_dump(exclude_unset=True),
    )
    session.commit()
    rebuild_index(services)  # priority / colour travel with the index entries
    announce_change(services, hotlist_id=hl.id, change="list_updated")
    return HotlistOut.of(hl)


@router.get(
    "/api/hotlists/{hotlist_id}/entries", dependencies=VIEW,
    response_model=EntryPage,
)
def list_entries(
    hotlist_id: IdPath,
    session: SessionDep,
    scope: VisibleScope,
    looks: Looks,
    plate: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> EntryPage:
    hl = _visible_list(session, scope, hotlist_id)
    stmt = select(HotlistEntry).where(HotlistEntry.hotlist_id == hotlist_id, scope.entries())
    if plate:
        stmt = stmt.where(HotlistEntry.plate.startswith(plate.upper().replace(" ", "")))
    stmt = stmt.order_by(HotlistEntry.id).limit(limit).offset(offset)
    items = [EntryOut.of(e) for e in session.scalars(stmt)]
    if hl.restricted:
        looks.saw("hotlist.entries", target=f"hotlist:{hotlist_id}",
                  items=[{"entry": e.id, "plate": e.plate} for e in items])
    return EntryPage(items=items, count=len(items))


@router.post(
    "/api/hotlists/{hotlist_id}/entries", dependencies=MANAGE, status_code=201,
    response_model=NewEntryOut,
)
def add_entry(
    hotlist_id: IdPath,
    body: NewEntry,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    scope: VisibleScope,
) -> NewEntryOut:
    hl = _visible_list(session, scope, hotlist_id)
    now = services.clock.now()
    owner, expires_at = governance.manual_terms(
        hotlist=hl, reason=body.reason, case_number=body.case_number, owner=body.owner,
        expires_at=body.expires_at, actor=actor, now=now,
        min_justification=services.settings.hotlist_governance.min_justification_length)
    fields = body.model_dump(exclude={"owner", "expires_at"})
    entry = service.add_entry(session, hotlist=hl, now=now, actor=actor, owner=owner,
                              expires_at=expires_at, **fields)
    session.commit()
    hits = entry_added(services, entry_id=entry.id)
    return NewEntryOut(**EntryOut.fields_of(entry), historical_hits=len(hits))


@router.delete(
    "/api/hotlists/entries/{entry_id}", dependencies=MANAGE,
    response_model=DeletedOut,
)
def delete_entry(
    entry_id: IdPath,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    scope: VisibleScope,
) -> DeletedOut:
    hotlist_id = visibility.require_entry(
        session, scope, session.get(HotlistEntry, entry_id), entry_id).hotlist_id
    service.delete_entry(session, entry_id=entry_id, now=services.clock.now(), actor=actor)
    session.commit()
    services.matcher.remove([entry_id])
    announce_change(services, hotlist_id=hotlist_id, change="entry_removed")
    return DeletedOut(deleted=entry_id)


@router.patch(
    "/api/hotlists/entries/{entry_id}", dependencies=MANAGE,
    response_model=EntryOut,
)
def expire_entry(
    entry_id: IdPath,
    body: EntryExpiry,
    session: SessionDep,
    services: ServicesDep,
    actor: ActorDep,
    scope: VisibleScope,
) -> EntryOut:
    found = visibility.require_entry(session, scope, session.get(HotlistEntry, entry_id), entry_id)
    now = services.clock.now()
    governance.check_renewal(session, entry=found, expires_at=body.expires_at, now=now)
    entry = service.set_entry_expiry(
        session, entry_id=entry_id, expires_at=body.expires_at, now=now, actor=actor
    )
    session.commit()
    if entry.expires_at is not None and entry.expires_at <= now:
        services.matcher.remove([entry_id])  # instant; the next rebuild drops it for good
    else:
        rebuild_index(services)  # a later or cleared expiry travels with the index entry
    announce_change(services, hotlist_id=entry.hotlist_id, change="entry_expired")
    return EntryOut.of(entry)


@router.post(
    "/api/hotlists/import", dependencies=MANAGE,
    response_model=ImportOut,
)
def import_upload(
    services: ServicesDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File()],
    name: Annotated[str, Form(min_length=1, max_length=100)],
    format: Annotated[HotlistFormat, Form()] = HotlistFormat.CSV,
    replace: Annotated[bool, Form()] = False,
    skip_bad: Annotated[bool, Form()] = False,
) -> ImportOut:
    data = file.file.read(MAX_UPLOAD + 1)
    source = file.filename or "upload"
    if len(data) > MAX_UPLOAD:
        raise InvalidInputError(f"{source}: larger than {MAX_UPLOAD // 2**20} MiB", field="file")
    imported = parse_text(
        decode(data, source=source), format=format, source=source, skip_bad=skip_bad
    )
    result = import_hotlist(services, name=name, imported=imported, actor=actor, replace=replace)
    return ImportOut(**result.to_dict())
