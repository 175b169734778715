"""Live video (fragmented MP4 by stream copy) and playback of recorded video on a timeline.

``GET /api/video/{camera}/live.mp4`` streams the init segment and then fragments of one shared
demux per camera stream (:mod:`cameras.live`) as chunked HTTP; the console plays it with Media
Source Extensions. ``GET /api/video/{camera}/timeline`` gives the recorded segments, the gaps
and the read/hit markers of a window; ``POST /api/video/{camera}/view`` audits opening recorded
video at a moment. Who may see which camera is ``rtcc.auth.visibility`` (404 otherwise).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select

from cameras.catalog import camera_settings
from cameras.coverage import Span, gaps
from cameras.live import MAX_BACKLOG, LiveHub
from cameras.live_feed import feed_dir
from rtcc import audit
from rtcc.auth import visibility
from rtcc.config import CameraSettings
from rtcc.db import transaction
from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.models import Camera, Hit, PlateRead, VideoSegment
from rtcc.runtime.services import Services
from rtcc.schemas.cameras import SegmentOut
from rtcc.schemas.common import file_response
from rtcc.schemas.types import ApiDatetime
from rtcc.schemas.video import (
    Gap,
    LiveMuxerOut,
    Marker,
    TimelineOut,
    VideoViewIn,
    VideoViewOut,
)
from web.deps import ServicesDep, SessionDep
from web.looks import Looks
from web.security import CurrentUser, Scope, VisibleScope, require

router = APIRouter()

MAX_WINDOW = timedelta(days=31)
DEFAULT_WINDOW = timedelta(hours=1)
MAX_ITEMS = 5000
_HUB_LOCK = threading.Lock()


def live_hub(request: Request) -> LiveHub:
    """The process's live muxers (made on first use, kept on the app)."""
    with _HUB_LOCK:  # sync dependencies run on a thread pool: make exactly one
        hub = getattr(request.app.state, "live_hub", None)
        if hub is None:
            services: Services = request.app.state.services
            feeds = feed_dir(services.settings.data_dir)  # the local camera workers' feeds
            hub = request.app.state.live_hub = LiveHub(services.clock, feeds=feeds)
    return hub  # type: ignore[no-any-return]


LiveHubDep = Annotated[LiveHub, Depends(live_hub)]


def _settings_of(services: Services, scope: Scope, camera_id: str) -> CameraSettings:
    visibility.require_camera(scope, camera_id)
    with transaction(services.sessions) as session:
        cam = session.get(Camera, camera_id)
        if cam is None or not cam.url:
            raise NotFoundError(f"no camera {camera_id!r}")
        try:
            return camera_settings(cam)
        except ValidationError as exc:
            why = exc.errors()[0]["msg"]
            raise NotFoundError(f"camera {camera_id!r} cannot stream: {why}") from None


class LiveViewer:
    """One viewer's fragments not yet sent, and the future its stream waits on."""

    __slots__ = ("chunks", "ended", "waiter")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended = False
        self.waiter: asyncio.Future[None] | None = None


class LiveBridge:
    """Hands fragments from the muxer threads to the viewers on one event loop.

    Muxer threads post (viewer, fragment); the loop is woken once for whatever piled up since
    its last turn (not once per fragment per viewer) and appends each fragment to its viewer.
    A fragment is one immutable ``bytes`` shared by every viewer of the stream."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._pending: list[tuple[LiveViewer, bytes | None]] = []

    def post(self, viewer: LiveViewer, data: bytes | None) -> None:
        """From any thread."""
        with self._lock:
            self._pending.append((viewer, data))
            if len(self._pending) > 1:
                return  # a wake-up is on its way
        try:
            self.loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the loop is closed: nobody is left to deliver to
            with self._lock:
                self._pending.clear()
            raise

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for viewer, data in pending:
            if data is None:
                viewer.ended = True
            elif not viewer.ended:
                viewer.chunks.append(data)
            waiter = viewer.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


_BRIDGES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveBridge] = (
    weakref.WeakKeyDictionary())


def _bridge(loop: asyncio.AbstractEventLoop) -> LiveBridge:
    with _HUB_LOCK:
        bridge = _BRIDGES.get(loop)
        if bridge is None:
            bridge = _BRIDGES[loop] = LiveBridge(loop)
    return bridge


async def live_fragments(hub: LiveHub, cfg: CameraSettings,
                         stream: str) -> AsyncGenerator[bytes, None]:
    """The init segment and fragments of ``cfg``'s ``stream`` for one viewer; what piled up
    while the previous write was under way goes out in one write."""
    loop = asyncio.get_running_loop()
    bridge, viewer = _bridge(loop), LiveViewer()

    def push(data: bytes | None) -> None:  # called on the muxer's thread
        if len(viewer.chunks) > MAX_BACKLOG:  # a viewer that cannot keep up is dropped
            bridge.post(viewer, None)
            raise OverflowError("viewer too slow")
        bridge.post(viewer, data)

    unsubscribe = hub.subscribe(cfg, stream, push)
    try:
        while True:
            if not viewer.chunks and not viewer.ended:
                viewer.waiter = loop.create_future()
                await viewer.waiter
                viewer.waiter = None
            chunks, viewer.chunks = viewer.chunks, []
            if chunks:
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
            elif viewer.ended:
                return
    finally:
        unsubscribe()


@router.get(
    "/api/video/{camera_id}/live.mp4", dependencies=[Depends(require("video:live"))],
    response_class=StreamingResponse,
    responses=file_response("video/mp4", "Fragmented MP4 (H.264 by stream copy): the init "
                            "segment, then one fragment per frame, for Media Source Extensions"),
)
def live(
    camera_id: str,
    services: ServicesDep,
    scope: VisibleScope,
    hub: LiveHubDep,
    looks: Looks,
    stream: Literal["main", "detect"] = "detect",
) -> StreamingResponse:
    """Live video without re-encoding; ``detect`` (the substream, for tiles) falls back to the
    main stream when the camera has none."""
    cfg = _settings_of(services, scope, camera_id)
    looks.saw("camera.live", target=f"camera:{camera_id}", stream=stream)
    return StreamingResponse(live_fragments(hub, cfg, stream), media_type="video/mp4",
                             headers={"Cache-Control": "no-store"})


@router.get("/api/video/live", dependencies=[Depends(require("cameras:view"))],
            response_model=list[LiveMuxerOut])
def live_muxers(scope: VisibleScope, hub: LiveHubDep) -> list[LiveMuxerOut]:
    """The running live muxers: viewers, fragments sent, frames decoded (always 0)."""
    out = []
    for m in hub.muxers():
        if not scope.sees_camera(m.camera.id):
            continue
        s = m.stats
        out.append(LiveMuxerOut(
            camera_id=m.camera.id, stream=m.which,
            viewers=m.viewers, packets=s.packets, fragments=s.fragments, bytes_out=s.bytes_out,
            connects=s.connects, frames_decoded=s.frames_decoded, error=s.error, via=s.via,
        ))
    return out


def _window(services: Services, start: datetime | None, end: datetime | None,
            ) -> tuple[datetime, datetime]:
    end = end or services.clock.now()
    start = start or end - DEFAULT_WINDOW
    if end <= start:
        raise InvalidInputError("end is before start", field="end")
    if end - start > MAX_WINDOW:
        raise InvalidInputError("the window is longer than 31 days", field="start")
    return start, end


@router.get("/api/video/{camera_id}/timeline", dependencies=[Depends(require("video:segments"))],
            response_model=TimelineOut)
def timeline(
    camera_id: str,
    session: SessionDep,
    services: ServicesDep,
    scope: VisibleScope,
    looks: Looks,
    start: ApiDatetime | None = None,
    end: ApiDatetime | None = None,
) -> TimelineOut:
    """Recorded segments of [start, end] (default: the last hour), the gaps between them and
    the reads and hits of the camera as markers (those the caller may see)."""
    visibility.require_camera(scope, camera_id)
    if session.get(Camera, camera_id) is None:
        raise NotFoundError(f"no camera {camera_id!r}")
    start, end = _window(services, start, end)
    rows = list(session.scalars(
        select(VideoSegment).where(VideoSegment.camera_id == camera_id, scope.segments(),
                                   VideoSegment.end_at > start, VideoSegment.start_at < end)
        .order_by(VideoSegment.start_at).limit(MAX_ITEMS)))
    spans = [Span(s.start_at, s.end_at, s.gap_reason) for s in rows]
    out = TimelineOut(
        camera_id=camera_id, start=start, end=end, segments=[SegmentOut.of(s) for s in rows],
        gaps=[Gap(start=g.start, end=g.end, reason=g.reason) for g in gaps(spans, start, end)],
        markers=_markers(session, scope, camera_id, start, end),
    )
    looks.saw("segments", target=f"camera:{camera_id}", items=[s.id for s in out.segments],
              start=start.isoformat(), end=end.isoformat(),
              markers=[f"{m.kind}:{m.id}" for m in out.markers])
    return out


def _markers(session: SessionDep, scope: Scope, camera_id: str, start: datetime,
             end: datetime) -> list[Marker]:
    markers: list[Marker] = []
    if scope.can("reads:view"):
        reads = session.execute(
            select(PlateRead.id, PlateRead.observed_at).where(
                PlateRead.camera_id == camera_id, scope.reads(), PlateRead.observed_at >= start,
                PlateRead.observed_at <= end).order_by(PlateRead.observed_at).limit(MAX_ITEMS))
        markers += [Marker(kind="read", id=r.id, at=r.observed_at) for r in reads]
    if scope.can("hits:view"):
        hits = session.execute(
            select(Hit.id, Hit.observed_at).where(
                Hit.camera_id == camera_id, scope.hits(), Hit.observed_at >= start,
                Hit.observed_at <= end).order_by(Hit.observed_at).limit(MAX_ITEMS))
        markers += [Marker(kind="hit", id=h.id, at=h.observed_at) for h in hits]
    return markers


@router.post("/api/video/{camera_id}/view", dependencies=[Depends(require("video:segments"))],
             response_model=VideoViewOut)
def view_at(
    camera_id: str,
    body: VideoViewIn,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    scope: VisibleScope,
) -> VideoViewOut:
    """Record (in the audit trail) that the caller opens this camera's video at ``at``."""
    visibility.require_camera(scope, camera_id)
    if session.get(Camera, camera_id) is None:
        raise NotFoundError(f"no camera {camera_id!r}")
    audit.record(
        session, now=services.clock.now(), actor=user.actor, action="video.view",
        target=f"camera:{camera_id}",
        details={"at": body.at.isoformat(), "read_id": body.read_id, "hit_id": body.hit_id,
                 "reason": body.reason},
    )
    session.commit()
    return VideoViewOut(camera_id=camera_id, at=body.at, audited=True)

