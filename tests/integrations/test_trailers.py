"""Mobile cameras (LPR trailers): signed position updates, the track for the map, each read
stored with where the trailer was at the read, and gunshot coverage from that position."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from cameras.messages import ReadMessage
from rtcc.integrations.coverage import covering_cameras
from rtcc.integrations.geometry import Point, destination
from rtcc.models import CameraPosition, PlateRead
from rtcc.plates import PlateReadRecord
from rtcc.runtime.ingest import store_read
from rtcc.runtime.services import Services
from rtcc.vocab import ReadStatus
from tests.support.integration_data import SPOT, add_camera, signed
from tests.support.integrations import TRAILER_SECRET, TRAILER_SOURCE

A = Point(40.70, -74.00)
B = Point(40.72, -74.02)


def url(camera_id: str) -> str:
    return f"/api/integrations/trailers/{camera_id}/positions"


def send(client: Any, services: Services, camera_id: str, body: dict[str, Any],
         **kw: Any) -> Any:
    raw = json.dumps(body).encode()
    ts = int(services.clock.now().timestamp())
    creds = {"secret": TRAILER_SECRET, "source": TRAILER_SOURCE, **kw}
    headers = signed(raw, timestamp=ts, **creds)
    return client.post(url(camera_id), content=raw, headers=headers)


def position(p: Point, at: datetime) -> dict[str, Any]:
    return {"latitude": p.lat, "longitude": p.lon, "at": at.isoformat()}


def read_message(camera_id: str, plate: str, at: datetime) -> ReadMessage:
    record = PlateReadRecord(
        track_key=f"{plate}-1", status=ReadStatus.FINAL, plate=plate, confidence=0.95,
        char_confidences=(0.95,) * len(plate), char_alternatives=(), alternatives=(),
        region=None, format_ok=True, frames=4, first_seen=at, last_seen=at + timedelta(seconds=2),
        box=(1, 2, 3, 4),
    )
    return ReadMessage(camera_id=camera_id, record=record, snapshot_path=None, crop_path=None)


def test_position_updates_are_signed_kept_and_move_the_camera(
    api_client: Any, services: Services
) -> None:
    add_camera(services, "trailer-1", A, heading=90, mobile=True)
    add_camera(services, "fixed-1", A, heading=90)
    device = api_client(None)
    now = services.clock.now()
    resp = send(device, services, "trailer-1", position(A, now - timedelta(minutes=10)))
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"camera_id": "trailer-1", "latitude": A.lat, "longitude": A.lon,
                           "at": (now - timedelta(minutes=10)).isoformat()}
    services.clock.advance(1)  # type: ignore[attr-defined]
    assert send(device, services, "trailer-1", position(B, now)).status_code == 201
    services.clock.advance(1)  # type: ignore[attr-defined]
    # A late update for an earlier time is kept in the track but does not move the camera.
    late = send(device, services, "trailer-1", position(A, now - timedelta(minutes=5)))
    assert late.status_code == 201
    viewer = api_client("officer")
    cams = {c["camera_id"]: c for c in viewer.get("/api/map/cameras").json()["items"]}
    assert (cams["trailer-1"]["latitude"], cams["trailer-1"]["longitude"]) == (B.lat, B.lon)
    assert cams["trailer-1"]["mobile"] is True and cams["fixed-1"]["mobile"] is False
    track = viewer.get("/api/cameras/trailer-1/track").json()
    assert [(p["latitude"], p["at"]) for p in track["items"]] == [
        (A.lat, (now - timedelta(minutes=10)).isoformat()),
        (A.lat, (now - timedelta(minutes=5)).isoformat()),
        (B.lat, now.isoformat()),
    ]
    short = viewer.get("/api/cameras/trailer-1/track",
                       params={"since": (now - timedelta(minutes=6)).isoformat()}).json()
    assert short["count"] == 2


def test_position_errors_store_nothing(api_client: Any, services: Services) -> None:
    add_camera(services, "trailer-1", A, heading=None, mobile=True)
    add_camera(services, "fixed-1", A, heading=90)
    device = api_client(None)
    now = services.clock.now()
    fixed = send(device, services, "fixed-1", position(A, now))
    assert fixed.status_code == 422 and fixed.json()["field"] == "camera_id"
    assert send(device, services, "nope", position(A, now)).status_code == 404
    bad = send(device, services, "trailer-1", {"latitude": 91, "longitude": 0,
                                                "at": now.isoformat()})
    assert bad.status_code == 422 and bad.json()["field"] == "latitude"
    naive = send(device, services, "trailer-1", {"latitude": 1, "longitude": 0,
                                                  "at": "2026-03-01T12:00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "at"
    wrong = send(device, services, "trailer-1", position(A, now), secret="x" * 20)
    assert wrong.status_code == 401
    gunshot_source = send(device, services, "trailer-1", position(A, now),
                          secret="gunshot-secret-0123456789", source="shotspotter")
    assert gunshot_source.status_code == 401  # each feed has its own sources
    with services.sessions() as s:
        assert s.scalars(select(CameraPosition)).all() == []


def test_a_mobile_cameras_reads_carry_its_position_at_read_time(services: Services) -> None:
    add_camera(services, "trailer-1", A, heading=None, mobile=True)
    add_camera(services, "fixed-1", A, heading=90)
    t0 = services.clock.now()
    with services.sessions() as s:
        from rtcc.integrations.trailers import record_position

        record_position(s, camera_id="trailer-1", lat=A.lat, lon=A.lon, at=t0, now=t0)
        record_position(s, camera_id="trailer-1", lat=B.lat, lon=B.lon,
                        at=t0 + timedelta(hours=1), now=t0)
        s.commit()
    with services.sessions() as s:
        before = store_read(s, read_message("trailer-1", "EARLY1", t0 - timedelta(minutes=1)),
                            now=t0)
        first = store_read(s, read_message("trailer-1", "FIRST1", t0 + timedelta(minutes=30)),
                           now=t0)
        second = store_read(s, read_message("trailer-1", "SECND1", t0 + timedelta(hours=2)),
                            now=t0)
        fixed = store_read(s, read_message("fixed-1", "FIXED1", t0), now=t0)
        s.commit()
        ids = [before.id, first.id, second.id, fixed.id]
    with services.sessions() as s:
        rows = {r.id: (r.lat, r.lon) for r in s.scalars(select(PlateRead))}
    assert [rows[i] for i in ids] == [
        (None, None),  # before any position: unknown, not guessed
        (A.lat, A.lon),
        (B.lat, B.lon),
        (None, None),  # a fixed camera's reads are placed by the camera
    ]


def test_gunshot_coverage_uses_where_the_trailer_was(services: Services) -> None:
    add_camera(services, "trailer-1", destination(SPOT, 180, 40), heading=0, mobile=True)
    t0 = services.clock.now()
    near, far = destination(SPOT, 180, 40), destination(SPOT, 180, 3000)
    with services.sessions() as s:
        from rtcc.integrations.trailers import record_position

        record_position(s, camera_id="trailer-1", lat=near.lat, lon=near.lon, at=t0, now=t0)
        record_position(s, camera_id="trailer-1", lat=far.lat, lon=far.lon,
                        at=t0 + timedelta(hours=1), now=t0)
        s.commit()
        then = covering_cameras(s, spot=SPOT, radius_m=400, at=t0 + timedelta(minutes=5))
        later = covering_cameras(s, spot=SPOT, radius_m=400, at=t0 + timedelta(hours=2))
    assert [c.camera_id for c in then] == ["trailer-1"]
    assert later == []
