"""Test data for the integration tests: cameras with a view, reads, signed requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rtcc.integrations.geometry import Point, destination
from rtcc.integrations.signing import signed_headers
from rtcc.models import Camera, PlateRead
from rtcc.runtime.services import Services
from tests.support.integrations import GUNSHOT_SECRET, GUNSHOT_SOURCE

SPOT = Point(40.7128, -74.0060)


def add_camera(services: Services, camera_id: str, position: Point, *,
               heading: float | None, fov: float = 60.0, range_m: float = 100.0,
               mobile: bool = False) -> None:
    now = services.clock.now()
    with services.sessions() as s:
        s.add(Camera(id=camera_id, name=camera_id.title(), lat=position.lat, lon=position.lon,
                     heading_deg=heading, fov_deg=fov, range_m=range_m, mobile=mobile,
                     enabled=True, state="online", created_at=now, updated_at=now))
        s.commit()


def add_read(services: Services, camera_id: str, plate: str, at: datetime,
             position: Point | None = None) -> int:
    with services.sessions() as s:
        read = PlateRead(
            camera_id=camera_id, track_key=f"{plate}-{at.timestamp()}", plate=plate,
            confidence=0.9, observed_at=at, last_seen_at=at, created_at=at, updated_at=at,
            lat=position.lat if position else None, lon=position.lon if position else None,
        )
        s.add(read)
        s.commit()
        return read.id


def cameras_around_spot(services: Services) -> None:
    """north-cam 50 m south of the spot facing it; away-cam the same place facing away;
    far-cam 900 m away facing it (outside the radius); east-cam 60 m east facing west."""
    add_camera(services, "north-cam", destination(SPOT, 180, 50), heading=0)
    add_camera(services, "away-cam", destination(SPOT, 180, 50), heading=180)
    add_camera(services, "far-cam", destination(SPOT, 180, 900), heading=0, range_m=2000)
    add_camera(services, "east-cam", destination(SPOT, 90, 60), heading=270, fov=90)


def alert_body(alert_id: str = "SST-1001", **changes: Any) -> dict[str, Any]:
    body = {
        "id": alert_id, "type": "gunfire", "rounds": 4, "latitude": SPOT.lat,
        "longitude": SPOT.lon, "address": "100 Main St", "detected_at": "2026-03-01T11:59:30Z",
    }
    body.update(changes)
    return body


def signed(body: bytes, *, timestamp: int, secret: str = GUNSHOT_SECRET,
           source: str = GUNSHOT_SOURCE) -> dict[str, str]:
    return {**signed_headers(source, secret, timestamp, body), "Content-Type": "application/json"}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
