"""Cameras: health and uptime, the latest frame, a live MJPEG stream, recorded segments."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import select

from cameras.media import live_frame_path
from cameras.uptime import Change, Uptime, served_intervals, uptime
from rtcc.auth import visibility
from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.models import Camera, CameraStatus, VideoSegment
from rtcc.runtime.server_runs import ALIVE_WITHIN
from rtcc.schemas.cameras import (
    CameraDetailOut,
    CameraOut,
    OfflineInterval,
    SegmentOut,
    StateSpan,
    Window,
)
from rtcc.schemas.common import file_response
from rtcc.schemas.types import ApiDatetime
from web.deps import IdPath, ServicesDep, SessionDep
from web.looks import Looks
from web.security import Scope, VisibleScope, require

router = APIRouter()

MJPEG_BOUNDARY = "frame"
MAX_SEGMENTS = 1000


def _camera(session: Any, scope: Scope, camera_id: str) -> Camera:
    """The camera, or 404 when it does not exist or the caller may not see it."""
    visibility.require_camera(scope, camera_id)
    cam = session.get(Camera, camera_id)
    if cam is None:
        raise NotFoundError(f"no camera {camera_id!r}")
    return cam


@router.get(
    "/api/cameras", dependencies=[Depends(require("cameras:view"))],
    response_model=list[CameraOut],
)
def list_cameras(session: SessionDep, scope: VisibleScope) -> list[CameraOut]:
    rows = session.scalars(select(Camera).where(scope.cameras_filter()).order_by(Camera.id))
    return [CameraOut.of(c) for c in rows]


@router.get(
    "/api/cameras/{camera_id}", dependencies=[Depends(require("cameras:view"))],
    response_model=CameraDetailOut,
)
def get_camera(
    camera_id: str, session: SessionDep, services: ServicesDep, scope: VisibleScope
) -> CameraDetailOut:
    """The camera's health plus uptime over the last 24 h and its offline intervals."""
    cam = _camera(session, scope, camera_id)
    now = services.clock.now()
    report = _uptime(session, cam, now)
    return CameraDetailOut(
        **CameraOut.fields_of(cam),
        uptime_24h=round(report.ratio, 4) if report.ratio is not None else None,
        uptime_window=Window(start=report.window_start, end=now),
        offline_intervals=[
            OfflineInterval.model_validate({"start": a, "end": b, "state": state})
            for a, b, state in report.offline
        ],
        unknown_s=round(report.unknown_s, 1),
        timeline=[StateSpan.model_validate({"start": s.start, "end": s.end, "state": s.state})
                  for s in report.spans],
    )


def _uptime(session: Any, cam: Camera, now: datetime) -> Uptime:
    since = now - timedelta(hours=24)
    rows = session.execute(
        select(CameraStatus.state, CameraStatus.at)
        .where(CameraStatus.camera_id == cam.id, CameraStatus.at >= since)
        .order_by(CameraStatus.at)
    ).all()
    before = session.execute(
        select(CameraStatus.state, CameraStatus.at)
        .where(CameraStatus.camera_id == cam.id, CameraStatus.at < since)
        .order_by(CameraStatus.at.desc())
        .limit(1)
    ).first()
    return uptime(
        [Change(state, at) for state, at in rows],
        now=now,
        before=Change(before[0], before[1]) if before else None,
        served=served_intervals(session, since=since, now=now, alive_within=ALIVE_WITHIN),
        exists_from=cam.created_at,
    )


@router.get(
    "/api/cameras/{camera_id}/snapshot.jpg", dependencies=[Depends(require("video:live"))],
    response_class=FileResponse, responses=file_response("image/jpeg", "The latest frame"),
)
def snapshot(
    camera_id: str, session: SessionDep, services: ServicesDep, scope: VisibleScope,
    looks: Looks,
) -> FileResponse:
    cam = _camera(session, scope, camera_id)
    path = live_frame_path(services.settings.data_dir, cam.id)
    if not path.is_file():
        raise NotFoundError(f"camera {camera_id!r} has no frame yet")
    looks.saw("camera.frame", target=f"camera:{cam.id}")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def _mjpeg(request: Request, path: Path, fps: float) -> AsyncIterator[bytes]:
    last_mtime = 0
    while not await request.is_disconnected():
        try:
            stat = path.stat()
            if stat.st_mtime_ns != last_mtime:
                last_mtime = stat.st_mtime_ns
                data = path.read_bytes()
                yield (
                    f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n"
                ).encode() + data + b"\r\n"
        except FileNotFoundError:
            pass
        await asyncio.sleep(1.0 / fps)


@router.get(
    "/api/cameras/{camera_id}/stream.mjpeg", dependencies=[Depends(require("video:live"))],
    response_class=StreamingResponse,
    responses=file_response(f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
                            "Live MJPEG: one JPEG part per new frame"),
)
def stream(
    camera_id: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    scope: VisibleScope,
    looks: Looks,
    fps: Annotated[float, Query(gt=0, le=5)] = 2.0,
) -> StreamingResponse:
    """Live MJPEG of the camera's latest frames (at most ``fps`` a second, at most 960 px wide)."""
    cam = _camera(session, scope, camera_id)
    path = live_frame_path(services.settings.data_dir, cam.id)
    looks.saw("camera.stream", target=f"camera:{cam.id}")
    return StreamingResponse(
        _mjpeg(request, path, fps),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/api/cameras/{camera_id}/segments", dependencies=[Depends(require("video:segments"))],
    response_model=list[SegmentOut],
)
def list_segments(
    camera_id: str,
    session: SessionDep,
    scope: VisibleScope,
    looks: Looks,
    start: ApiDatetime | None = None,
    end: ApiDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEGMENTS)] = 200,
) -> list[SegmentOut]:
    """Segments overlapping ``[start, end]`` (ISO 8601 with a timezone), oldest first."""
    cam = _camera(session, scope, camera_id)
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidInputError(f"{name} needs a timezone (e.g. 2026-03-01T12:00:00Z)",
                                    field=name)
    if start is not None and end is not None and end < start:
        raise InvalidInputError("end is before start", field="end")
    query = select(VideoSegment).where(VideoSegment.camera_id == cam.id, scope.segments())
    if start is not None:
        query = query.where(VideoSegment.end_at >= start)
    if end is not None:
        query = query.where(VideoSegment.start_at <= end)
    rows = session.scalars(query.order_by(VideoSegment.start_at).limit(limit))
    out = [SegmentOut.of(s) for s in rows]
    looks.saw("segments", target=f"camera:{cam.id}", items=[s.id for s in out])
    return out


@router.get(
    "/api/cameras/{camera_id}/segments/{segment_id}/video.mp4",
    dependencies=[Depends(require("video:segments"))],
    response_class=FileResponse, responses=file_response("video/mp4", "The recorded segment"),
)
def download_segment(
    camera_id: str,
    segment_id: IdPath,
    session: SessionDep,
    services: ServicesDep,
    scope: VisibleScope,
    looks: Looks,
) -> FileResponse:
    visibility.require_camera(scope, camera_id)
    seg = session.get(VideoSegment, segment_id)
    if seg is None or seg.camera_id != camera_id:
        raise NotFoundError(f"no segment {segment_id} for camera {camera_id!r}")
    root = (services.settings.data_dir / "video").resolve()
    target = (services.settings.data_dir / seg.path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError(f"segment {segment_id} file is missing")
    looks.saw("segment", target=f"segment:{segment_id}", camera_id=camera_id,
              start_at=seg.start_at.isoformat(), end_at=seg.end_at.isoformat())
    return FileResponse(target, media_type="video/mp4", filename=target.name)
