"""Hits an officer can defend, end to end: a real camera worker loops a clip the test writes
(scripted recognizer, no models), the real ingest stores reads and hits, the real app answers
officers over REST and the websocket; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hotlist.importer import parse_text
from rtcc.audit import SYSTEM
from rtcc.db import transaction
from rtcc.events import ReadEvent
from rtcc.models import AuditEvent, Camera, PlateRead
from rtcc.runtime.hotlists import import_hotlist
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from rtcc.vocab import ReadStatus
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns, Collector

LOOP_S = 3.0
SCRIPT = ScriptedFactory((Reading(0.5, 2.0, "ABC123"),))
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """3 s at 10 fps; the car crosses during 0.5-2.0 s: one pass per loop."""
    return write_clip(tmp_path_factory.mktemp("clip") / "loop.mp4", seconds=LOOP_S,
                      passes=[(0.5, 2.0)])


@pytest.fixture
def svc(api_app: Any) -> Services:
    services: Services = api_app.state.services
    now = services.clock.now()
    with transaction(services.sessions) as session:
        session.add(Camera(id="gate", name="gate", created_at=now, updated_at=now))
    return services


@pytest.fixture
def camera(svc: Services, clip: Clip) -> Iterator[Collector]:
    """The looping file camera, writing its images where the app serves them."""
    with CameraRuns(svc.settings.data_dir) as runs:
        _, got = runs.start([{"id": "gate", "url": str(clip.path), "loop": True,
                              "realtime": True, "detect_fps": 5}], recognizer=SCRIPT)
        yield got


class Feeder:
    """Pumps the worker's messages into the real ingest on a thread (like the core process)."""

    def __init__(self, svc: Services, got: Collector) -> None:
        self.svc, self.got, self.ingest = svc, got, Ingestor(svc)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        done = 0
        while not self._stop.is_set():
            self.got.pump(0.1)
            for msg in self.got.messages[done:]:
                self.ingest.handle(msg)
            done = len(self.got.messages)

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def wait(predicate: Any, timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stolen_list(svc: Services, text: str = "plate,reason,case_number\nABC123,stolen,K-7\n") -> int:
    return import_hotlist(svc, name="stolen", actor=SYSTEM,
                          imported=parse_text(text, format="csv")).hotlist_id


def test_a_confirmed_hit_keeps_its_read_and_image_bytes(
    svc: Services, camera: Collector, api_client: Any
) -> None:
    stolen_list(svc)
    officer = api_client("officer")

    def first_hit() -> dict[str, Any] | None:
        items = officer.get("/api/hits").json()["items"]
        return items[0] if items else None

    with Feeder(svc, camera):
        hit_id = wait(first_hit, 30, "the first hit")["id"]
        assert officer.post(f"/api/hits/{hit_id}/acknowledge").status_code == 200
        before = officer.get(f"/api/hits/{hit_id}").json()
        images = {k: officer.get(before["read"][k]).content for k in ("snapshot_url", "crop_url")}
        assert all(images.values())
        refused = officer.post(f"/api/hits/{hit_id}/confirm", json={"visual_check": False})
        assert refused.status_code == 422 and "visual_check" in refused.text
        ok = officer.post(f"/api/hits/{hit_id}/confirm", json={"visual_check": True})
        assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
        wait(lambda: officer.get(f"/api/hits/{hit_id}").json()["sightings"][1:],
             4 * LOOP_S + 10, "two more passes folded into the hit")
    after = officer.get(f"/api/hits/{hit_id}").json()  # ingest stopped: a settled answer
    assert after["read"]["id"] == before["read"]["id"] == after["read_id"]
    for key in ("snapshot_url", "crop_url"):
        assert after["read"][key] == before["read"][key] == after[key]
        assert officer.get(after[key]).content == images[key]  # the same bytes
    assert after["status"] == "confirmed"
    assert after["occurrences"] == 1 + len(after["sightings"]) >= 3
    assert after["last_seen_at"] > before["last_seen_at"]
    later = {s["read_id"] for s in after["sightings"]}
    assert before["read"]["id"] not in later and len(later) == len(after["sightings"])
    with svc.sessions() as session:  # the audit names the images shown, by SHA-256
        confirm = session.scalars(select(AuditEvent).where(AuditEvent.action == "hit.confirm"))
        (event,) = list(confirm)
    assert event.details is not None
    shown = event.details["evidence"]
    assert event.username == officer.username
    assert shown["read_id"] == before["read"]["id"]
    assert shown["snapshot"]["sha256"] == hashlib.sha256(images["snapshot_url"]).hexdigest()
    assert shown["crop"]["sha256"] == hashlib.sha256(images["crop_url"]).hexdigest()


def test_a_plate_added_while_its_car_loops_alerts_within_one_pass(
    svc: Services, camera: Collector, api_client: Any
) -> None:
    hotlist_id = stolen_list(svc, "plate\nZZZ999\n")
    supervisor = api_client("supervisor")
    officer = api_client("officer", bearer=True)

    def reads_of_abc() -> list[int]:
        with svc.sessions() as s:
            return list(s.scalars(select(PlateRead.id).where(PlateRead.plate == "ABC123")))

    with Feeder(svc, camera), officer.websocket_connect("/ws/events") as ws:
        wait(reads_of_abc, 30, "the car's first pass")
        added_at = time.monotonic()
        resp = supervisor.post(f"/api/hotlists/{hotlist_id}/entries", json={
            "plate": "ABC123", "reason": "stolen from the depot yesterday",
            "case_number": "K-8"})
        assert resp.status_code == 201 and resp.json()["historical_hits"] >= 1
        known = set(reads_of_abc())
        watchdog = threading.Timer(3 * LOOP_S + 10, lambda: svc.bus.publish(_sentinel()))
        watchdog.start()
        try:
            events = []
            while True:
                message = ws.receive_json()
                events.append(message)
                if message.get("plate") == "TIMEOUT":
                    raise AssertionError(f"no live alert; got {[e['type'] for e in events]}")
                if message["type"] == "hit" and message["alert"]:
                    break
        finally:
            watchdog.cancel()
    elapsed = time.monotonic() - added_at
    assert elapsed <= 2 * LOOP_S + 2, elapsed  # the car's next pass (preview or final)
    assert message["historical"] is False and message["hotlist"] == "stolen"
    assert message["read_id"] not in known  # raised by a live pass, not the past read
    historical = [e for e in events if e["type"] == "hit" and e["historical"]]
    assert all(e["alert"] is False for e in historical)


def _sentinel() -> ReadEvent:
    from datetime import UTC, datetime

    at = datetime(2026, 3, 1, tzinfo=UTC)
    return ReadEvent(id=0, camera_id="gate", plate="TIMEOUT", confidence=0.0,
                     status=ReadStatus.FINAL,
                     region=None, frames=0, observed_at=at, last_seen_at=at,
                     snapshot_url=None, crop_url=None)


def test_two_person_lists_need_a_second_user_to_confirm(svc: Services, api_client: Any) -> None:
    from tests.support.hotlists import read_message

    import_hotlist(svc, name="sensitive", actor=SYSTEM, list_fields={"two_person_confirm": True},
                   imported=parse_text("plate\nABC123\n", format="csv"))
    Ingestor(svc).handle(read_message(svc, "ABC123", camera_id="gate"))
    first, second = api_client("officer"), api_client("officer")
    (hit,) = first.get("/api/hits").json()["items"]
    url = f"/api/hits/{hit['id']}"
    assert first.post(f"{url}/acknowledge").status_code == 200
    half = first.post(f"{url}/confirm", json={"visual_check": True}).json()
    assert (half["status"], half["confirm_requested_by"]) == ("acknowledged", first.username)
    again = first.post(f"{url}/confirm", json={"visual_check": True})
    assert again.status_code == 409 and "second user" in again.json()["detail"]
    done = second.post(f"{url}/confirm", json={"visual_check": True}).json()
    assert (done["status"], done["status_by"], done["visually_confirmed"]) == (
        "confirmed", second.username, True)
    with svc.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.target == f"hit:{hit['id']}")))
    assert actions.count("hit.confirm_first") == 1 and actions.count("hit.confirm") == 1
