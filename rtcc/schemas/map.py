"""The console map's layers: cameras with their view cones, reads and hits placed where they
were read, and the imported offline base map."""

from __future__ import annotations

from rtcc.schemas.common import ReadModel, UtcDatetime
from rtcc.vocab import CameraState


class MapCameraOut(ReadModel):
    camera_id: str
    name: str
    state: CameraState
    latitude: float | None  # a mobile camera: its newest position
    longitude: float | None
    heading_deg: float | None
    fov_deg: float
    range_m: float
    mobile: bool
    cone: list[tuple[float, float]] | None  # [lat, lon] polygon of the view; None: no position


class MapCamerasOut(ReadModel):
    items: list[MapCameraOut]
    count: int


class MapReadOut(ReadModel):
    id: int
    camera_id: str
    plate: str
    observed_at: UtcDatetime
    latitude: float
    longitude: float


class MapReadsOut(ReadModel):
    items: list[MapReadOut]
    count: int
    since: UtcDatetime
    until: UtcDatetime


class MapHitOut(ReadModel):
    id: int
    camera_id: str
    plate: str
    hotlist: str
    priority: int
    status: str
    observed_at: UtcDatetime
    latitude: float
    longitude: float


class MapHitsOut(ReadModel):
    items: list[MapHitOut]
    count: int
    since: UtcDatetime
    until: UtcDatetime


class BasemapOut(ReadModel):
    """The imported base map, if any (without one the console draws its bundled outline map)."""

    imported: bool
    name: str | None = None
    format: str | None = None
    tile_type: str | None = None
    sha256: str | None = None
    bytes: int | None = None
    min_zoom: int | None = None
    max_zoom: int | None = None
    bounds: list[float] | None = None
    tile_url: str | None = None  # template with {z}/{x}/{y}
    imported_at: UtcDatetime | None = None
