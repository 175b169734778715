"""Outbound events: per-destination filters, retries with backoff, a real local webhook server
(signature checked there) and the real Mosquitto broker at 127.0.0.1:1883; every attempt
logged; a dead destination never holds up the others."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from rtcc.clock import FakeClock
from rtcc.config import OutboundDestination
from rtcc.events import CameraStatusEvent, GunshotEvent, NewHitEvent
from rtcc.integrations.outbound import (
    Attempt,
    CameraStateChanges,
    Delivery,
    DeliveryError,
    deliver,
    wanted,
)
from rtcc.integrations.signing import verify
from rtcc.models import OutboundDelivery
from rtcc.runtime.outbound import OutboundDispatcher
from rtcc.runtime.services import Services, build_services

MQTT_HOST, MQTT_PORT = "127.0.0.1", 1883
HOOK_SECRET = "webhook-secret-0123456789"


def hit_message(**changes: Any) -> dict[str, Any]:
    msg = {"type": "hit", "id": 7, "camera_id": "gate-1", "hotlist": "stolen", "priority": 90}
    msg.update(changes)
    return msg


def dest(**kw: Any) -> OutboundDestination:
    return OutboundDestination(name="d", **kw)


def test_filters_by_event_type_list_priority_and_camera() -> None:
    assert wanted(dest(), hit_message())
    assert not wanted(dest(), {"type": "camera_status", "camera_id": "gate-1"})
    assert not wanted(dest(events=["hit"]), {"type": "gossip"})
    by_list = dest(events=["hit", "hit_updated"], lists=["stolen"])
    assert wanted(by_list, hit_message()) and wanted(by_list, hit_message(type="hit_updated"))
    assert not wanted(by_list, hit_message(hotlist="amber"))
    by_priority = dest(min_priority=80)
    assert wanted(by_priority, hit_message(priority=80))
    assert not wanted(by_priority, hit_message(priority=79))
    assert not wanted(by_priority, {"type": "gunshot", "covering": []})  # no priority: not sent
    by_camera = dest(events=["hit", "gunshot", "camera_status"], cameras=["gate-1"])
    assert wanted(by_camera, hit_message())
    assert not wanted(by_camera, hit_message(camera_id="gate-2"))
    assert wanted(by_camera, {"type": "camera_status", "camera_id": "gate-1"})
    covered = {"type": "gunshot", "covering": [{"camera_id": "gate-2"}, {"camera_id": "gate-1"}]}
    assert wanted(by_camera, covered)
    assert not wanted(by_camera, {"type": "gunshot", "covering": [{"camera_id": "gate-2"}]})


def test_only_camera_state_changes_pass() -> None:
    changes = CameraStateChanges()
    status = {"type": "camera_status", "camera_id": "gate-1", "state": "online"}
    assert changes.passes(status)
    assert not changes.passes({**status, "input_fps": 9.5})  # same state, new figures
    assert changes.passes({**status, "state": "offline"})
    assert changes.passes({**status, "camera_id": "gate-2"})
    assert changes.passes(hit_message()) and changes.passes(hit_message())


class FlakySender:
    kind = "fake"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def send(self, delivery: Delivery) -> int | None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("HTTP 503", 503)
        return 200

    def close(self) -> None:
        pass


def test_retries_back_off_and_stop_after_max_attempts() -> None:
    policy = dest(max_attempts=5, backoff_s=1, backoff_max_s=3)
    attempts: list[Attempt] = []
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    delivery = Delivery.of(hit_message())
    assert deliver(FlakySender(2), delivery, policy, record=attempts.append, wait=wait)
    assert [(a.number, a.ok, a.status_code) for a in attempts] == [
        (1, False, 503), (2, False, 503), (3, True, 200)]
    assert waits == [1, 2]
    attempts.clear()
    waits.clear()
    assert not deliver(FlakySender(99), delivery, policy, record=attempts.append, wait=wait)
    assert len(attempts) == 5 and not any(a.ok for a in attempts)
    assert waits == [1, 2, 3, 3]  # doubled, capped, none after the last attempt
    attempts.clear()
    stopping = deliver(FlakySender(99), delivery, policy, record=attempts.append,
                       wait=lambda _: True)
    assert not stopping and len(attempts) == 1


class Hook:
    """A real HTTP server: answers ``statuses`` in turn (then 200), keeps what it received."""

    def __init__(self, statuses: list[int], delay_s: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay_s)
                hook.received.put((dict(self.headers), body))
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def outbound(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Any]:
    made: list[tuple[Services, OutboundDispatcher]] = []

    def make(**integrations: Any) -> tuple[Services, OutboundDispatcher]:
        svc = build_services(make_settings(database={"url": db_url}, integrations=integrations),
                             clock=clock)
        dispatcher = OutboundDispatcher(svc)
        dispatcher.start()
        made.append((svc, dispatcher))
        return svc, dispatcher

    yield make
    for svc, dispatcher in made:
        dispatcher.stop()
        svc.engine.dispose()


def deliveries(svc: Services, until: int, timeout: float = 10.0) -> list[OutboundDelivery]:
    deadline = time.monotonic() + timeout
    while True:
        with svc.sessions() as s:
            rows = list(s.scalars(select(OutboundDelivery).order_by(OutboundDelivery.id)))
        if len(rows) >= until or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def gunshot_event(camera: str = "gate-1") -> GunshotEvent:
    return GunshotEvent(
        source="shotspotter", alert_id="A-1", version=1, alert_type="gunfire", rounds=3,
        latitude=40.7, longitude=-74.0, address=None, detected_at="2026-03-01T11:59:30Z",
        received_at="2026-03-01T12:00:00Z",
        covering=[{"camera_id": camera, "name": camera, "distance_m": 40.0}],
    )


def hit_event(**changes: Any) -> NewHitEvent:
    fields: dict[str, Any] = {
        "id": 7, "plate": "ABC123", "entry_plate": "ABC123", "entry_id": 3,
        "camera_id": "gate-1", "observed_at": "2026-03-01T12:00:00Z",
        "last_seen_at": "2026-03-01T12:00:00Z", "hotlist": "stolen", "hotlist_id": 1,
        "hotlist_kind": "stolen_vehicle", "colour": None, "restricted": False, "reason": None,
        "priority": 90, "match_type": "exact", "distance": 0.0, "needs_confirmation": False,
        "diff": [], "status": "new", "status_by": None, "status_at": None,
        "reject_reason": None, "reject_text": None, "visually_confirmed": False,
        "occurrences": 1, "historical": False, "read_id": 5, "confidence": 0.97,
        "snapshot_url": None, "crop_url": None, "entry_state": None, "case_number": None,
        "description": None,
    }
    fields.update(changes)
    return NewHitEvent.model_validate(fields)


def camera_event(camera: str) -> CameraStatusEvent:
    return CameraStatusEvent(
        camera_id=camera, name=camera, state="offline", since="2026-03-01T12:00:00Z",
        last_error=None, input_fps=0.0, analysed_fps=0.0, skipped_frames=0,
        motion_skipped_frames=0, restarts=0, last_frame_at=None, reconnects=0,
    )


def test_webhook_is_signed_retried_with_backoff_and_logged(outbound: Any) -> None:
    hook = Hook([503])
    try:
        svc, _ = outbound(webhooks=[{
            "name": "dispatch", "url": hook.url, "secret": HOOK_SECRET, "events": ["hit"],
            "lists": ["stolen"], "backoff_s": 0.2,
        }])
        svc.bus.publish(hit_event(hotlist="amber", id=8))  # filtered out by list
        svc.bus.publish(hit_event())
        first_at = time.monotonic()
        headers, body = hook.received.get(timeout=5)
        headers2, body2 = hook.received.get(timeout=5)
        assert time.monotonic() - first_at >= 0.15  # waited the backoff before the retry
        rows = deliveries(svc, 2)
    finally:
        hook.close()
    assert body == body2 and json.loads(body)["id"] == 7 and json.loads(body)["type"] == "hit"
    assert headers["X-Rtcc-Event"] == "hit"
    signed = verify(secrets={"rtcc": HOOK_SECRET}, source=headers["X-Rtcc-Source"],
                    timestamp=headers["X-Rtcc-Timestamp"],
                    signature=headers["X-Rtcc-Signature"], body=body,
                    now=svc.clock.now(), max_skew_s=300)
    assert signed.source == "rtcc"
    assert [(r.destination, r.kind, r.event_key, r.attempt, r.ok, r.status_code)
            for r in rows] == [("dispatch", "webhook", "hit:7", 1, False, 503),
                               ("dispatch", "webhook", "hit:7", 2, True, 200)]
    assert hook.received.empty()  # the amber hit never went out


@pytest.fixture
def mqtt_messages() -> Iterator[tuple[str, queue.Queue[tuple[str, bytes]]]]:
    prefix = f"rtcc-test/{uuid.uuid4().hex[:8]}"
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, msg: got.put((msg.topic, msg.payload))
    client.on_subscribe = lambda *_: subscribed.set()
    try:
        client.connect(MQTT_HOST, MQTT_PORT)
    except OSError:
        pytest.skip("no MQTT broker at 127.0.0.1:1883")
    client.loop_start()
    client.subscribe(f"{prefix}/#", qos=1)
    assert subscribed.wait(5)
    try:
        yield prefix, got
    finally:
        client.loop_stop()
        client.disconnect()


def test_mqtt_gets_its_events_while_a_hanging_webhook_waits(
    outbound: Any, mqtt_messages: tuple[str, queue.Queue[tuple[str, bytes]]]
) -> None:
    prefix, got = mqtt_messages
    hanging = Hook([], delay_s=3.0)
    try:
        svc, _ = outbound(
            mqtt=[{"name": "broker", "topic_prefix": prefix,
                   "events": ["gunshot", "camera_status", "hit"], "cameras": ["gate-1"]}],
            webhooks=[{"name": "slow", "url": hanging.url, "secret": HOOK_SECRET,
                       "events": ["gunshot", "camera_status", "hit"], "timeout_s": 10}],
        )
        t0 = time.monotonic()
        svc.bus.publish(gunshot_event())
        svc.bus.publish(camera_event("gate-2"))  # not one of the broker's cameras
        svc.bus.publish(camera_event("gate-1"))
        svc.bus.publish(camera_event("gate-1"))  # same state again: not a change
        svc.bus.publish(hit_event())
        publish_took = time.monotonic() - t0
        received = [got.get(timeout=2) for _ in range(3)]
        mqtt_took = time.monotonic() - t0
    finally:
        hanging.close()
    assert publish_took < 0.1  # the bus never waits for a destination
    assert mqtt_took < 2.0  # the webhook's 3 s stalls do not hold up the broker
    topics = [topic for topic, _ in received]
    assert topics == [f"{prefix}/gunshot", f"{prefix}/camera_status", f"{prefix}/hit"]
    assert json.loads(received[0][1])["alert_id"] == "A-1"
    assert json.loads(received[1][1])["camera_id"] == "gate-1"
    assert got.empty()
    rows = [r for r in deliveries(svc, 3) if r.destination == "broker"]
    assert [(r.kind, r.event_key, r.ok) for r in rows] == [
        ("mqtt", "gunshot:shotspotter:A-1:1", True), ("mqtt", "camera:gate-1", True),
        ("mqtt", "hit:7", True)]


def test_unreachable_broker_is_retried_and_logged(outbound: Any) -> None:
    svc, _ = outbound(mqtt=[{"name": "nobody", "port": 1, "events": ["gunshot"],
                             "max_attempts": 2, "backoff_s": 0.05}])
    svc.bus.publish(gunshot_event())
    rows = deliveries(svc, 2)
    assert [(r.attempt, r.ok) for r in rows] == [(1, False), (2, False)]
    assert rows[0].error is not None and "cannot connect" in rows[0].error
