"""Uptime counts only time a server run covers: a stop, a crash and the time before the camera
existed are unknown, not up (server_run rows through the real recorder, the real ingest and the
camera route, on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from cameras.messages import StatusMessage
from rtcc.audit import SYSTEM
from rtcc.auth import tokens, users
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import Camera, ServerRun
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.server_runs import ServerRunRecorder, record_heartbeat
from rtcc.runtime.services import Services
from web.app import create_app


@pytest.fixture
def client(services: Services, clock: FakeClock) -> TestClient:
    with transaction(services.sessions) as s:
        users.create_user(s, username="audrey", roles=["auditor"], password=None,
                          now=clock.now(), actor=SYSTEM, min_password_length=12)
        _, secret = tokens.issue(s, username="audrey", now=clock.now(), actor=SYSTEM)
    return TestClient(create_app(services), headers={"Authorization": f"Bearer {secret}"})


def _camera(services: Services, clock: FakeClock) -> None:
    with transaction(services.sessions) as s:
        s.add(Camera(id="north", name="North gate", created_at=clock.now(),
                     updated_at=clock.now(), reconnects=0, restarts=0))


def _spans(body: dict[str, object]) -> list[tuple[str, str, str]]:
    return [(s["start"], s["end"], s["state"]) for s in body["timeline"]]  # type: ignore[index, union-attr]


def _iso(t: datetime) -> str:
    return t.isoformat()


def _beat(services: Services, recorder: ServerRunRecorder, clock: FakeClock) -> None:
    """What the recorder's thread does every few seconds."""
    with transaction(services.sessions) as s:
        assert recorder.run_id is not None
        record_heartbeat(s, run_id=recorder.run_id, now=clock.now())


def test_a_server_stop_is_unknown_not_up(client: TestClient, services: Services,
                                         clock: FakeClock) -> None:
    first = ServerRunRecorder(sessions=services.sessions, clock=clock, interval_s=3600)
    first.start()
    _camera(services, clock)
    created = clock.now()
    ing = Ingestor(services)
    clock.advance(minutes=1)
    ing.handle(StatusMessage("north", "online", clock.now(), input_fps=10.0))
    clock.advance(minutes=59)
    first.stop()
    stopped = clock.now()
    clock.advance(minutes=6)  # the server is down: nobody knows what the camera did
    second = ServerRunRecorder(sessions=services.sessions, clock=clock, interval_s=3600)
    second.start()
    restarted = clock.now()
    clock.advance(minutes=54)
    _beat(services, second, clock)
    body = client.get("/api/cameras/north").json()
    second.stop()
    now = clock.now()
    assert body["uptime_window"]["start"] == _iso(now - timedelta(hours=24))
    online_from = created + timedelta(minutes=1)
    assert _spans(body) == [
        (_iso(now - timedelta(hours=24)), _iso(online_from), "unknown"),  # before it existed
        (_iso(online_from), _iso(stopped), "online"),
        (_iso(stopped), _iso(restarted), "unknown"),  # the server stop
        (_iso(restarted), _iso(now), "online"),
    ]
    assert body["unknown_s"] == pytest.approx(24 * 3600 - (59 + 54) * 60)
    assert body["uptime_24h"] == 1.0  # of the time known; the stop is not counted as up
    assert body["offline_intervals"] == []


def test_a_crash_ends_coverage_at_the_last_heartbeat(client: TestClient, services: Services,
                                                     clock: FakeClock) -> None:
    crashed = ServerRunRecorder(sessions=services.sessions, clock=clock, interval_s=3600)
    crashed.start()  # never stopped: the process died
    _camera(services, clock)
    ing = Ingestor(services)
    ing.handle(StatusMessage("north", "offline", clock.now(), message="connection refused"))
    clock.advance(minutes=10)
    _beat(services, crashed, clock)
    last_beat = clock.now()
    clock.advance(hours=1)  # no heartbeat for an hour: that run is over
    alive = ServerRunRecorder(sessions=services.sessions, clock=clock, interval_s=3600)
    alive.start()
    clock.advance(minutes=30)
    _beat(services, alive, clock)
    body = client.get("/api/cameras/north").json()
    spans = _spans(body)
    assert (_iso(last_beat), _iso(last_beat + timedelta(hours=1)), "unknown") in spans
    assert body["uptime_24h"] == 0.0
    assert body["unknown_s"] == pytest.approx(24 * 3600 - 40 * 60)
    # One outage per stretch somebody watched, each ended where the knowledge ends.
    assert [(o["start"], o["end"]) for o in body["offline_intervals"]] == [
        (_iso(last_beat - timedelta(minutes=10)), _iso(last_beat)),
        (_iso(last_beat + timedelta(hours=1)), None),
    ]
    with services.sessions() as s:
        assert s.query(ServerRun).count() == 2
    alive.stop()
