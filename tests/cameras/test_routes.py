"""GET /api/cameras…: health, 24 h uptime from the status history, segments and downloads,
through the real ingest (the single writer) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cameras.messages import SegmentMessage, StatusMessage
from rtcc.audit import SYSTEM
from rtcc.auth import tokens, users
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import Camera
from rtcc.runtime import server_runs
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from web.app import create_app


@pytest.fixture
def client(services: Services, clock: FakeClock) -> TestClient:
    with transaction(services.sessions) as s:
        s.add(Camera(id="north", name="North gate", created_at=clock.now(),
                     updated_at=clock.now(), reconnects=0, restarts=0))
        users.create_user(s, username="chief", roles=["admin", "supervisor", "detective"],
                          password=None, now=clock.now(), actor=SYSTEM, min_password_length=12)
        _, secret = tokens.issue(s, username="chief", now=clock.now(), actor=SYSTEM)
    return TestClient(create_app(services), headers={"Authorization": f"Bearer {secret}"})


def _status(ing: Ingestor, clock: FakeClock, state: str, after_h: float, **kw: Any) -> None:
    clock.advance(hours=after_h)
    ing.handle(StatusMessage("north", state, clock.now(), kw.pop("message", None), **kw))


def test_uptime_and_offline_intervals(client: TestClient, services: Services,
                                      clock: FakeClock) -> None:
    with transaction(services.sessions) as s:  # a server ran all along (see server_runs)
        run_id = server_runs.record_start(s, now=clock.now())
    ing = Ingestor(services)
    _status(ing, clock, "online", 0, input_fps=10.0)
    _status(ing, clock, "offline", 20, message="rtsp://***@cam/x: connection refused")
    _status(ing, clock, "online", 2, reconnects=3, motion_skipped=7)
    clock.advance(hours=6)
    with transaction(services.sessions) as s:
        server_runs.record_heartbeat(s, run_id=run_id, now=clock.now())
    body = client.get("/api/cameras/north").json()
    assert body["state"] == "online" and body["reconnects"] == 3
    assert body["motion_skipped_frames"] == 7
    assert body["uptime_24h"] == pytest.approx(22 / 24, abs=1e-4)
    [outage] = body["offline_intervals"]
    assert outage["state"] == "offline"
    assert outage["start"] == (clock.now() - timedelta(hours=8)).isoformat()
    assert outage["end"] == (clock.now() - timedelta(hours=6)).isoformat()
    listed = client.get("/api/cameras").json()
    assert [c["camera_id"] for c in listed] == ["north"]
    assert client.get("/api/cameras/nope").status_code == 404


def test_segments_listed_by_time_and_downloaded(client: TestClient, services: Services,
                                               clock: FakeClock) -> None:
    ing = Ingestor(services)
    t0 = clock.now()
    for i in range(3):
        rel = f"video/north/{t0:%Y-%m-%d}/seg{i}Z.mp4"
        path = services.settings.data_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"mp4" * (i + 1))
        msg = SegmentMessage("north", t0 + timedelta(minutes=i), t0 + timedelta(minutes=i + 1),
                             rel, 3 * (i + 1))
        ing.handle(msg)
        ing.handle(msg)  # announced twice (recovery): indexed once
    start = (t0 + timedelta(minutes=1, seconds=30)).isoformat()
    resp = client.get("/api/cameras/north/segments", params={"start": start})
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert [s["bytes"] for s in got] == [6, 9]
    data = client.get(got[0]["url"])
    assert data.status_code == 200 and data.content == b"mp4mp4"
    bad = client.get("/api/cameras/north/segments",
                     params={"start": start, "end": t0.isoformat()})
    assert bad.status_code == 422 and "before start" in bad.json()["detail"]
    assert client.get("/api/cameras/north/segments/999/video.mp4").status_code == 404
    assert client.get("/api/cameras/north/snapshot.jpg").status_code == 404
