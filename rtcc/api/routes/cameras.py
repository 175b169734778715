from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from rtcc.api.deps import SessionDep
from rtcc.errors import NotFoundError
from rtcc.models import Camera
from rtcc.runtime.payloads import camera_payload

router = APIRouter()


@router.get("/api/cameras")
def list_cameras(session: SessionDep) -> list[dict[str, Any]]:
    return [camera_payload(c) for c in session.scalars(select(Camera).order_by(Camera.id))]


@router.get("/api/cameras/{camera_id}")
def get_camera(camera_id: str, session: SessionDep) -> dict[str, Any]:
    cam = session.get(Camera, camera_id)
    if cam is None:
        raise NotFoundError(f"no camera {camera_id!r}")
    return camera_payload(cam)
