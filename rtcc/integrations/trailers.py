"""Mobile cameras (LPR trailers): their position comes from position updates, not the settings.

Each update is kept (the track); the camera row carries the newest position for the map. A read
stores where its camera was at the read (:func:`locate_read`): the latest update at or before
the read's time.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc.errors import InvalidInputError, NotFoundError
from rtcc.integrations.geometry import Point
from rtcc.integrations.gunshot import plausible_time
from rtcc.models import Camera, CameraPosition, PlateRead


class PositionIn(BaseModel):
    """A mobile camera's position at a time (ISO 8601 with a timezone)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    at: AwareDatetime

    _plausible = field_validator("at")(plausible_time)


def record_position(
    session: Session, *, camera_id: str, lat: float, lon: float, at: datetime, now: datetime
) -> CameraPosition:
    """Store one position of a mobile camera (flushes); the newest one moves the camera."""
    cam = session.get(Camera, camera_id)
    if cam is None:
        raise NotFoundError(f"no camera {camera_id!r}", field="camera_id")
    if not cam.mobile:
        raise InvalidInputError(f"camera {camera_id!r} is not mobile", field="camera_id")
    row = CameraPosition(camera_id=camera_id, at=at, lat=lat, lon=lon, received_at=now)
    session.add(row)
    newest = session.scalar(
        select(CameraPosition.at).where(CameraPosition.camera_id == camera_id)
        .order_by(CameraPosition.at.desc()).limit(1)
    )
    if newest is None or at >= newest:
        cam.lat, cam.lon, cam.updated_at = lat, lon, now
    session.flush()
    return row


def position_at(session: Session, camera_id: str, at: datetime) -> Point | None:
    """Where the camera was at ``at``: its latest position update at or before then."""
    row = session.execute(
        select(CameraPosition.lat, CameraPosition.lon)
        .where(CameraPosition.camera_id == camera_id, CameraPosition.at <= at)
        .order_by(CameraPosition.at.desc(), CameraPosition.id.desc()).limit(1)
    ).first()
    return Point(row.lat, row.lon) if row is not None else None


def locate_read(session: Session, read: PlateRead) -> None:
    """Store a mobile camera's position at the read's time on the read (fixed cameras: none)."""
    if not session.scalar(select(Camera.mobile).where(Camera.id == read.camera_id)):
        return
    spot = position_at(session, read.camera_id, read.observed_at)
    read.lat, read.lon = (spot.lat, spot.lon) if spot is not None else (None, None)


def track(
    session: Session, *, camera_id: str, since: datetime | None, until: datetime | None,
    limit: int,
) -> list[CameraPosition]:
    """The camera's positions in ``[since, until)``, oldest first (the newest ``limit``)."""
    stmt = select(CameraPosition).where(CameraPosition.camera_id == camera_id)
    if since is not None:
        stmt = stmt.where(CameraPosition.at >= since)
    if until is not None:
        stmt = stmt.where(CameraPosition.at < until)
    rows = session.scalars(
        stmt.order_by(CameraPosition.at.desc(), CameraPosition.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))
