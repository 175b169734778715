"""Camera administration: list, create, change and disable cameras (they live in the database).

Every change is audited. A changed camera is picked up by the node that runs it, or on a single
host by the runtime at once (``Runtime.cameras_changed``); camera URLs leave with their
credentials redacted.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal, Self

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from cameras.catalog import CameraPatch, CameraSpec, create_camera, disable_camera, update_camera
from cameras.probe import probe
from cameras.sources import redact_url
from rtcc.audit import record
from rtcc.errors import NotFoundError
from rtcc.models import Camera
from rtcc.schemas.cameras import ProbeOut
from rtcc.schemas.common import ReadModel, UtcDatetime
from web.deps import ServicesDep, SessionDep
from web.security import CurrentUser, require

router = APIRouter()
MANAGE = [Depends(require("cameras:manage"))]


def _apply_now(request: Request) -> None:
    """Start, stop or restart the changed camera's worker now (single host; nodes poll)."""
    runtime = request.app.state.runtime
    if runtime is not None:
        runtime.cameras_changed()


class CameraConfigOut(ReadModel):
    id: str
    name: str
    url: str | None  # credentials redacted
    detect_url: str | None
    lat: float | None
    lon: float | None
    heading: float | None
    lpr: bool
    record: bool
    site: str | None
    enabled: bool
    pin_node: str | None
    origin: str  # config | api | csv
    node: str | None  # the node running it now
    state: str
    updated_at: UtcDatetime

    @classmethod
    def of(cls, cam: Camera) -> Self:
        return cls(
            id=cam.id, name=cam.name, url=redact_url(cam.url) if cam.url else None,
            detect_url=redact_url(cam.detect_url) if cam.detect_url else None,
            lat=cam.lat, lon=cam.lon, heading=cam.heading_deg, lpr=cam.lpr, record=cam.record,
            site=cam.site, enabled=cam.enabled, pin_node=cam.pin_node, origin=cam.origin,
            node=cam.node, state=cam.state, updated_at=cam.updated_at,
        )


@router.get("/api/admin/cameras", dependencies=MANAGE, response_model=list[CameraConfigOut])
def list_camera_configs(session: SessionDep) -> list[CameraConfigOut]:
    return [CameraConfigOut.of(c) for c in session.scalars(select(Camera).order_by(Camera.id))]


@router.post(
    "/api/admin/cameras", dependencies=MANAGE, response_model=CameraConfigOut, status_code=201
)
def add_camera(
    body: CameraSpec, session: SessionDep, services: ServicesDep, user: CurrentUser,
    request: Request,
) -> CameraConfigOut:
    now = services.clock.now()
    cam = create_camera(session, body, now=now, origin="api")
    record(session, now=now, actor=user.actor, action="camera.create", target=cam.id,
           details={"site": cam.site, "lpr": cam.lpr, "record": cam.record})
    session.commit()
    _apply_now(request)
    return CameraConfigOut.of(cam)


@router.patch(
    "/api/admin/cameras/{camera_id}", dependencies=MANAGE, response_model=CameraConfigOut
)
def change_camera(
    camera_id: str, body: CameraPatch, session: SessionDep, services: ServicesDep,
    user: CurrentUser, request: Request,
) -> CameraConfigOut:
    now = services.clock.now()
    cam = update_camera(session, camera_id, body, now=now)
    changed = sorted(body.model_dump(exclude_unset=True))
    record(session, now=now, actor=user.actor, action="camera.update", target=cam.id,
           details={"fields": changed})
    session.commit()
    _apply_now(request)
    return CameraConfigOut.of(cam)


@router.post(
    "/api/admin/cameras/{camera_id}/disable", dependencies=MANAGE, response_model=CameraConfigOut
)
def disable(
    camera_id: str, session: SessionDep, services: ServicesDep, user: CurrentUser,
    request: Request,
) -> CameraConfigOut:
    now = services.clock.now()
    cam = disable_camera(session, camera_id, now=now)
    record(session, now=now, actor=user.actor, action="camera.disable", target=cam.id)
    session.commit()
    _apply_now(request)
    return CameraConfigOut.of(cam)


class ProbeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=1000)
    transport: Literal["tcp", "udp"] = "tcp"
    timeout_s: float = Field(default=8.0, gt=0, le=30)


def _probe(url: str, *, services: ServicesDep, transport: str, timeout_s: float) -> ProbeOut:
    result = probe(url, clock=services.clock, timeout_s=timeout_s, transport=transport)
    return ProbeOut.model_validate(asdict(result))


@router.post("/api/admin/cameras/test", dependencies=MANAGE, response_model=ProbeOut)
def test_connection(body: ProbeIn, services: ServicesDep, user: CurrentUser,
                    session: SessionDep) -> ProbeOut:
    """Connection test of a URL before saving it: opens it and reads one video packet."""
    out = _probe(body.url, services=services, transport=body.transport, timeout_s=body.timeout_s)
    record(session, now=services.clock.now(), actor=user.actor, action="camera.test",
           target=redact_url(body.url), details={"ok": out.ok})
    session.commit()
    return out


@router.post(
    "/api/admin/cameras/{camera_id}/test", dependencies=MANAGE, response_model=ProbeOut
)
def test_camera(camera_id: str, services: ServicesDep, user: CurrentUser,
                session: SessionDep) -> ProbeOut:
    """Connection test of a saved camera's own URL (its credentials stay on the server)."""
    cam = session.get(Camera, camera_id)
    if cam is None or not cam.url:
        raise NotFoundError(f"no camera {camera_id!r}")
    transport = str((cam.options or {}).get("transport", "tcp"))
    out = _probe(cam.url, services=services, transport=transport, timeout_s=8.0)
    record(session, now=services.clock.now(), actor=user.actor, action="camera.test",
           target=cam.id, details={"ok": out.ok})
    session.commit()
    return out
