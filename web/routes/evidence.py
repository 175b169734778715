"""Evidence exports: start one (built in the background), follow it, cancel, download as zip.

The public key that signs the manifests is public: anyone holding a package can check it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Self

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from rtcc.audit import Actor
from rtcc.auth import visibility
from rtcc.auth.visibility import Scope as Visibility
from rtcc.auth.visibility import require_camera, require_hit, require_read
from rtcc.db import transaction
from rtcc.errors import NotFoundError
from rtcc.evidence import collect, custody, service
from rtcc.evidence.collect import Scope, Visible
from rtcc.models import EvidenceExport, Hit, PlateRead
from rtcc.runtime.services import Services
from rtcc.schemas.common import file_response
from rtcc.schemas.evidence import ExportOut, ExportPage, PublicKeyOut
from rtcc.schemas.types import ApiDatetime
from web.deps import IdPath, ServicesDep, SessionDep
from web.security import CurrentUser, VisibleScope, require

log = logging.getLogger(__name__)
router = APIRouter(tags=["evidence"])
EXPORT = [Depends(require("evidence:export"))]
ZIP_RESPONSE = file_response("application/zip", "the package as a zip, custody log updated")


class ExportIn(BaseModel):
    """Exactly one of: a hit, a read, search results (read ids), a gunshot alert, or cameras
    with a window."""

    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)
    legal_authority: str | None = Field(default=None, max_length=2000)
    hit_id: int | None = Field(default=None, ge=1, le=2**62)
    read_id: int | None = Field(default=None, ge=1, le=2**62)
    read_ids: list[Annotated[int, Field(ge=1, le=2**62)]] | None = Field(
        default=None, min_length=1, max_length=collect.MAX_READS
    )
    gunshot_id: int | None = Field(default=None, ge=1, le=2**62)
    cameras: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=32
    )
    start: ApiDatetime | None = None
    end: ApiDatetime | None = None
    pre_s: float | None = Field(default=None, ge=0, le=3600)
    post_s: float | None = Field(default=None, ge=0, le=3600)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [n for n in ("hit_id", "read_id", "read_ids", "gunshot_id", "cameras")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of hit_id, read_id, read_ids, gunshot_id, cameras")
        if self.cameras is not None and (self.start is None or self.end is None):
            raise ValueError("cameras need a window: start and end")
        return self


def _scope(body: ExportIn, session: Session, vis: Visibility, services: Services) -> Scope:
    ev = services.settings.evidence
    pre = timedelta(seconds=ev.pre_s if body.pre_s is None else body.pre_s)
    post = timedelta(seconds=ev.post_s if body.post_s is None else body.post_s)
    if body.hit_id is not None:
        hit = session.get(Hit, body.hit_id)
        if hit is None:
            raise NotFoundError(f"no hit {body.hit_id}", field="hit_id")
        require_hit(session, vis, hit)
        scope = collect.resolve_hit(session, body.hit_id, pre=pre, post=post)
    elif body.read_id is not None:
        require_read(vis, session.get(PlateRead, body.read_id), body.read_id)
        scope = collect.resolve_read(session, body.read_id, pre=pre, post=post)
    elif body.read_ids is not None:
        scope = collect.resolve_reads(session, body.read_ids, pre=pre, post=post)
    elif body.gunshot_id is not None:
        scope = collect.resolve_gunshot(session, body.gunshot_id)
    else:
        assert body.cameras is not None and body.start and body.end
        cams = tuple(dict.fromkeys(body.cameras))
        scope = Scope(cams, body.start, body.end, "window")
    for cam in scope.cameras:
        require_camera(vis, cam)
    return scope


def _build(started: service.Started, services: Services, actor: Actor) -> None:
    """Background: a failure is already recorded on the export row and in the audit trail."""
    try:
        service.build(started, sessions=services.sessions, settings=services.settings,
                      clock=services.clock, actor=actor)
    except Exception:  # noqa: BLE001 - the row says "failed" with the reason
        log.exception("evidence export %s failed", started.export_id)


@router.get("/api/evidence/public-key", dependencies=[Depends(require("public"))],
            response_model=PublicKeyOut)
def public_key(services: ServicesDep) -> PublicKeyOut:
    key = service.signing_key(services.settings).public
    text = key.file_text()
    return PublicKeyOut(key_id=key.id_text, public_key=text.splitlines()[1], file=text)


@router.post("/api/evidence", status_code=202, dependencies=EXPORT, response_model=ExportOut)
def start_export(
    body: ExportIn, user: CurrentUser, vis: VisibleScope, services: ServicesDep,
    session: SessionDep, tasks: BackgroundTasks,
) -> ExportOut:
    """Check and hold now (4xx on a bad window or size); build in the background."""
    scope = _scope(body, session, vis, services)
    started = service.start(
        session, scope=scope, case_number=body.case_number, reason=body.reason,
        legal_authority=body.legal_authority, actor=user.actor, now=services.clock.now(),
        settings=services.settings, visible=Visible(reads=vis.reads(), hits=vis.hits()),
    )
    session.commit()
    tasks.add_task(_build, started, services, user.actor)
    return ExportOut.of(service.get_export(session, export_id=started.export_id))


@router.get("/api/evidence", dependencies=EXPORT, response_model=ExportPage)
def list_exports(
    session: SessionDep,
    vis: VisibleScope,
    case_number: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ExportPage:
    rows = custody.list_exports(session, case_number=case_number, limit=limit)
    items = [ExportOut.of(r) for r in rows if vis.sees_export(r.cameras, r.requested_by)]
    return ExportPage(items=items, count=len(items))


@router.get("/api/evidence/{export_id}", dependencies=EXPORT, response_model=ExportOut)
def get_export(export_id: IdPath, session: SessionDep, vis: VisibleScope) -> ExportOut:
    return ExportOut.of(_visible_export(session, vis, export_id))


@router.post("/api/evidence/{export_id}/cancel", dependencies=EXPORT, response_model=ExportOut)
def cancel_export(export_id: IdPath, session: SessionDep, vis: VisibleScope) -> ExportOut:
    _visible_export(session, vis, export_id)
    row = service.request_cancel(session, export_id=export_id)
    session.commit()
    return ExportOut.of(row)


@router.get("/api/evidence/{export_id}/download", dependencies=EXPORT,
            response_class=FileResponse, responses=ZIP_RESPONSE)
def download(
    export_id: IdPath, user: CurrentUser, vis: VisibleScope, services: ServicesDep
) -> FileResponse:
    """The package as a zip; the download is audited and appended to its custody log."""
    settings = services.settings
    with services.sessions() as s:
        _visible_export(s, vis, export_id)
    with transaction(services.sessions) as s:  # recorded first: the log names this download
        custody.record_download(s, export_id=export_id, actor=user.actor,
                                now=services.clock.now(), settings=settings)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=settings.data_dir))
    name = f"evidence-{export_id}.zip"
    try:
        with services.sessions() as s:
            row = service.get_export(s, export_id=export_id)
            custody.write_copy(s, row=row, settings=settings, dest=tmp / name)
    except BaseException:
        _remove(tmp)
        raise
    return FileResponse(tmp / name, media_type="application/zip", filename=name,
                        background=BackgroundTask(_remove, tmp))


def _visible_export(session: Session, vis: Visibility, export_id: int) -> EvidenceExport:
    row = service.get_export(session, export_id=export_id)
    visibility.require_export(vis, row.cameras, row.requested_by, export_id)
    return row


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
