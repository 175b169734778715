"""The console map: cameras with state and view cones, reads and hits for a time window placed
where they were read (a mobile camera's stored position, else the camera's), a mobile camera's
track, and the imported offline base map served tile by tile."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import func, select

from rtcc.auth import visibility
from rtcc.clock import as_utc
from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.integrations.basemap import MEDIA_TYPES, current_basemap, read_tile
from rtcc.integrations.coverage import camera_view
from rtcc.integrations.geometry import cone
from rtcc.integrations.trailers import position_at, track
from rtcc.models import Camera, Hit, PlateRead
from rtcc.schemas.common import file_response
from rtcc.schemas.integrations import PositionOut, TrackOut
from rtcc.schemas.map import (
    BasemapOut,
    MapCameraOut,
    MapCamerasOut,
    MapHitOut,
    MapHitsOut,
    MapReadOut,
    MapReadsOut,
)
from rtcc.schemas.types import ApiDatetime
from rtcc.vocab import CameraState
from web.deps import ServicesDep, SessionDep
from web.security import VisibleScope, require

router = APIRouter(tags=["map"])

MAX_WINDOW = timedelta(days=7)
MAX_ITEMS = 2000
TILE_URL = "/api/map/tiles/{z}/{x}/{y}"


def _window(since: datetime | None, until: datetime | None, now: datetime,
            ) -> tuple[datetime, datetime]:
    end = as_utc(until) if until else now
    try:
        start = as_utc(since) if since else end - timedelta(hours=1)
    except OverflowError:
        raise InvalidInputError("until is out of range", field="until") from None
    if start >= end:
        raise InvalidInputError("since must be before until", field="since")
    if end - start > MAX_WINDOW:
        raise InvalidInputError("the window is at most 7 days", field="since")
    return start, end


@router.get("/api/map/cameras", response_model=MapCamerasOut,
            dependencies=[Depends(require("cameras:view"))])
def map_cameras(session: SessionDep, scope: VisibleScope, services: ServicesDep) -> MapCamerasOut:
    """Every visible camera; a mobile one where its newest position update puts it."""
    now = services.clock.now()
    items = []
    for cam in session.scalars(select(Camera).where(scope.cameras_filter()).order_by(Camera.id)):
        where = position_at(session, cam.id, now) if cam.mobile else None
        view = camera_view(cam, where)
        items.append(MapCameraOut(
            camera_id=cam.id, name=cam.name, state=CameraState(cam.state),
            latitude=view.position.lat if view else None,
            longitude=view.position.lon if view else None,
            heading_deg=cam.heading_deg, fov_deg=cam.fov_deg,
            range_m=cam.range_m, mobile=cam.mobile,
            cone=[(round(p.lat, 7), round(p.lon, 7)) for p in cone(view)] if view else None,
        ))
    return MapCamerasOut(items=items, count=len(items))


@router.get("/api/cameras/{camera_id}/track", response_model=TrackOut,
            dependencies=[Depends(require("cameras:view"))])
def camera_track(
    camera_id: Annotated[str, Path(min_length=1, max_length=64)], session: SessionDep,
    scope: VisibleScope, services: ServicesDep,
    since: ApiDatetime | None = None, until: ApiDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> TrackOut:
    """A mobile camera's positions in the window (default: the last hour), oldest first."""
    visibility.require_camera(scope, camera_id)
    if session.get(Camera, camera_id) is None:
        raise NotFoundError(f"no camera {camera_id!r}")
    start, end = _window(since, until, services.clock.now())
    rows = track(session, camera_id=camera_id, since=start, until=end, limit=limit)
    items = [PositionOut.of(r) for r in rows]
    return TrackOut(camera_id=camera_id, items=items, count=len(items))


@router.get("/api/map/reads", response_model=MapReadsOut,
            dependencies=[Depends(require("reads:live"))])
def map_reads(
    session: SessionDep, scope: VisibleScope, services: ServicesDep,
    since: ApiDatetime | None = None, until: ApiDatetime | None = None,
) -> MapReadsOut:
    """Reads in the window (default: the last hour) that can be placed, newest first."""
    start, end = _window(since, until, services.clock.now())
    lat = func.coalesce(PlateRead.lat, Camera.lat)
    lon = func.coalesce(PlateRead.lon, Camera.lon)
    rows = session.execute(
        select(PlateRead.id, PlateRead.camera_id, PlateRead.plate, PlateRead.observed_at,
               lat, lon)
        .join(Camera, Camera.id == PlateRead.camera_id)
        .where(scope.reads(), PlateRead.observed_at >= start, PlateRead.observed_at < end,
               lat.is_not(None), lon.is_not(None))
        .order_by(PlateRead.observed_at.desc(), PlateRead.id.desc()).limit(MAX_ITEMS)
    ).all()
    items = [MapReadOut(id=r[0], camera_id=r[1], plate=r[2], observed_at=r[3], latitude=r[4],
                        longitude=r[5]) for r in rows]
    return MapReadsOut(items=items, count=len(items), since=start, until=end)


@router.get("/api/map/hits", response_model=MapHitsOut,
            dependencies=[Depends(require("hits:view"))])
def map_hits(
    session: SessionDep, scope: VisibleScope, services: ServicesDep,
    since: ApiDatetime | None = None, until: ApiDatetime | None = None,
) -> MapHitsOut:
    """Hits in the window (default: the last hour), where their read was made."""
    start, end = _window(since, until, services.clock.now())
    lat = func.coalesce(PlateRead.lat, Camera.lat)
    lon = func.coalesce(PlateRead.lon, Camera.lon)
    rows = session.execute(
        select(Hit, lat, lon)
        .join(Camera, Camera.id == Hit.camera_id)
        .outerjoin(PlateRead, PlateRead.id == Hit.read_id)
        .where(scope.hits(), Hit.observed_at >= start, Hit.observed_at < end,
               lat.is_not(None), lon.is_not(None))
        .order_by(Hit.observed_at.desc(), Hit.id.desc()).limit(MAX_ITEMS)
    ).all()
    items = [MapHitOut(id=h.id, camera_id=h.camera_id, plate=h.plate, hotlist=h.hotlist_name,
                       priority=h.priority, status=h.status, observed_at=h.observed_at,
                       latitude=la, longitude=lo) for h, la, lo in rows]
    return MapHitsOut(items=items, count=len(items), since=start, until=end)


@router.get("/api/map/basemap", response_model=BasemapOut,
            dependencies=[Depends(require("cameras:view"))])
def basemap(session: SessionDep) -> BasemapOut:
    row = current_basemap(session)
    if row is None:
        return BasemapOut(imported=False)
    return BasemapOut(
        imported=True, name=row.name, format=row.format, tile_type=row.tile_type,
        sha256=row.sha256, bytes=row.bytes, min_zoom=row.min_zoom, max_zoom=row.max_zoom,
        bounds=row.bounds, tile_url=TILE_URL, imported_at=row.imported_at,
    )


@router.get("/api/map/tiles/{z}/{x}/{y}", response_class=Response,
            responses=file_response("image/png", "One tile of the imported base map"),
            dependencies=[Depends(require("cameras:view"))])
def tile(
    z: Annotated[int, Path(ge=0, le=24)], x: Annotated[int, Path(ge=0, le=2**24)],
    y: Annotated[int, Path(ge=0, le=2**24)], session: SessionDep, services: ServicesDep,
) -> Response:
    row = current_basemap(session)
    if row is None:
        raise NotFoundError("no base map imported (rtcc map import FILE)")
    data = read_tile(services.settings.data_dir / row.path, row.format, z, x, y)
    if data is None:
        raise NotFoundError(f"no tile {z}/{x}/{y}")
    return Response(data, media_type=MEDIA_TYPES[row.tile_type],
                    headers={"Cache-Control": "private, max-age=3600"})
