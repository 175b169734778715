"""Cameras live in the database: seeded from the settings file, managed by the API and CSV.

A camera row holds the CSV/API fields as columns and every other camera setting (detect_fps,
motion, timeouts, ...) in ``options``; :func:`camera_settings` turns a row back into the
``CameraSettings`` a worker runs. :class:`CameraSpec` is the one validation of a camera's
definition, shared by the API, the CSV importer and the seeding.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc.config import CameraSettings, LprSettings
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError
from rtcc.models import Camera
from rtcc.schemas.types import CameraId

if TYPE_CHECKING:  # the models stay unloaded in processes that only manage cameras
    import numpy as np

    from lpr.recognizer import PlateObservation

Origin = Literal["config", "api", "csv"]
ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
# CameraSettings fields kept as columns; the rest go to ``options``.
COLUMN_SETTINGS = {
    "id", "name", "url", "detect_url", "enabled", "location", "record",
    "heading_deg", "fov_deg", "range_m", "mobile", "lpr",
}


def _printable(value: str | None) -> str | None:
    if value is not None and any(ord(ch) < 32 for ch in value):
        raise ValueError("control characters are not allowed")
    return value


class CameraSpec(BaseModel):
    """A camera's definition (what the CSV columns and the create route carry)."""

    model_config = ConfigDict(extra="forbid")

    id: CameraId
    name: str = Field(default="", max_length=200)
    url: str = Field(min_length=1, max_length=1000)
    detect_url: str | None = Field(default=None, max_length=1000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    lpr: bool = True
    record: bool = True
    site: str | None = Field(default=None, max_length=100)
    enabled: bool = True
    pin_node: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)

    _text = field_validator("name", "url", "detect_url", "site")(_printable)

    @model_validator(mode="after")
    def _both_or_neither(self) -> CameraSpec:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if not self.name:
            self.name = self.id
        return self


class CameraPatch(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=1000)
    detect_url: str | None = Field(default=None, max_length=1000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    lpr: bool | None = None
    record: bool | None = None
    site: str | None = Field(default=None, max_length=100)
    enabled: bool | None = None
    pin_node: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)

    _text = field_validator("name", "url", "detect_url", "site")(_printable)


_SPEC_COLUMNS = {
    "name": "name", "url": "url", "detect_url": "detect_url", "lat": "lat", "lon": "lon",
    "heading": "heading_deg", "lpr": "lpr", "record": "record", "site": "site",
    "enabled": "enabled", "pin_node": "pin_node",
}


def _new_row(camera_id: str, now: datetime, origin: Origin) -> Camera:
    return Camera(
        id=camera_id, name=camera_id, created_at=now, updated_at=now, reconnects=0, restarts=0,
        state="offline", state_since_at=now, origin=origin, enabled=True, lpr=True, record=True,
        input_fps=0.0, analysed_fps=0.0, skipped_frames=0, motion_skipped_frames=0,
        fov_deg=90.0, range_m=60.0, mobile=False,
    )


def create_camera(session: Session, spec: CameraSpec, *, now: datetime, origin: Origin) -> Camera:
    if session.get(Camera, spec.id) is not None:
        raise ConflictError(f"camera {spec.id!r} already exists", field="id")
    cam = _new_row(spec.id, now, origin)
    session.add(cam)
    _apply(cam, spec.model_dump(exclude={"id"}), now)
    session.flush()
    return cam


def upsert_camera(session: Session, spec: CameraSpec, *, now: datetime, origin: Origin) -> bool:
    """Create or replace the definition of ``spec.id``; True when it was new."""
    cam = session.get(Camera, spec.id)
    created = cam is None
    if cam is None:
        cam = _new_row(spec.id, now, origin)
        session.add(cam)
    else:
        cam.origin = origin
    _apply(cam, spec.model_dump(exclude={"id"}), now)
    session.flush()
    return created


def update_camera(session: Session, camera_id: str, patch: CameraPatch, *, now: datetime) -> Camera:
    cam = get_camera(session, camera_id)
    changes = patch.model_dump(exclude_unset=True)
    lat = changes.get("lat", cam.lat)
    lon = changes.get("lon", cam.lon)
    if (lat is None) != (lon is None):
        field = "lat" if "lat" in changes else "lon"
        raise InvalidInputError("lat and lon go together", field=field)
    if "url" in changes and changes["url"] is None:
        del changes["url"]
    _apply(cam, changes, now)
    if cam.origin == "config":
        cam.origin = "api"  # the file no longer defines it
    session.flush()
    return cam


def disable_camera(session: Session, camera_id: str, *, now: datetime) -> Camera:
    cam = get_camera(session, camera_id)
    cam.enabled = False
    cam.updated_at = now
    session.flush()
    return cam


def get_camera(session: Session, camera_id: str) -> Camera:
    cam = session.get(Camera, camera_id)
    if cam is None:
        raise NotFoundError(f"no camera {camera_id!r}", field="camera_id")
    return cam


def _apply(cam: Camera, fields: dict[str, Any], now: datetime) -> None:
    for key, value in fields.items():
        setattr(cam, _SPEC_COLUMNS[key], value)
    cam.updated_at = now


def seed_from_settings(session: Session, cameras: list[CameraSettings], *, now: datetime) -> None:
    """Store the file's cameras (definitions only; state is the status reports' business)."""
    for cfg in cameras:
        cam = session.get(Camera, cfg.id)
        if cam is None:
            cam = _new_row(cfg.id, now, "config")
            session.add(cam)
        cam.origin = "config"
        cam.name, cam.url, cam.enabled, cam.record = cfg.name, cfg.url, cfg.enabled, cfg.record
        cam.lpr, cam.detect_url = cfg.lpr, cfg.detect_url
        cam.lat = cfg.location.lat if cfg.location else None
        cam.lon = cfg.location.lon if cfg.location else None
        cam.heading_deg, cam.fov_deg = cfg.heading_deg, cfg.fov_deg
        cam.range_m, cam.mobile = cfg.range_m, cfg.mobile
        cam.options = cfg.model_dump(mode="json", exclude=COLUMN_SETTINGS)
        cam.updated_at = now
    # A camera taken out of the file stops, as it did before cameras lived in the database.
    listed = {cfg.id for cfg in cameras}
    gone = select(Camera).where(Camera.origin == "config", Camera.enabled.is_(True))
    for cam in session.scalars(gone):
        if cam.id not in listed:
            cam.enabled = False
            cam.last_error = "removed from the configuration file"
            cam.updated_at = now
    session.flush()


def camera_settings(cam: Camera) -> CameraSettings:
    """The settings a worker runs ``cam`` with (raises ``ValidationError`` on a bad row)."""
    has_location = cam.lat is not None and cam.lon is not None
    location = {"lat": cam.lat, "lon": cam.lon} if has_location else None
    return CameraSettings.model_validate({
        **(cam.options or {}),
        "id": cam.id, "name": cam.name, "url": cam.url, "detect_url": cam.detect_url,
        "enabled": cam.enabled,
        "location": location, "record": cam.record, "heading_deg": cam.heading_deg,
        "fov_deg": cam.fov_deg, "range_m": cam.range_m, "mobile": cam.mobile, "lpr": cam.lpr,
    })


def runnable_cameras(session: Session) -> list[Camera]:
    """Enabled cameras with a source, by id."""
    query = select(Camera).where(Camera.enabled.is_(True), Camera.url.is_not(None))
    return list(session.scalars(query.order_by(Camera.id)))


class NoPlates:
    """The recognizer of a camera with ``lpr: false``: video and health only."""

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        return []


def no_plates(_: LprSettings) -> NoPlates:
    return NoPlates()


def import_cameras(
    session: Session, specs: list[CameraSpec], *, now: datetime, origin: Origin = "csv"
) -> tuple[int, int]:
    """Create or replace each camera (one transaction, the caller's); (created, updated)."""
    created = sum(upsert_camera(session, spec, now=now, origin=origin) for spec in specs)
    return created, len(specs) - created
