"""NatsBus against a real nats-server: fan-out to every instance, resume after a restart."""

from __future__ import annotations

import contextlib
import queue
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rtcc.bus import make_bus
from rtcc.bus.connection import BusUnavailableError, redact_servers
from rtcc.bus.natsbus import NatsBus
from rtcc.cli.main import main
from rtcc.config import load_settings
from rtcc.events import CameraStatusEvent, Event, InProcessBus, ReadEvent
from rtcc.vocab import CameraState, ReadStatus
from tests.support.natsserver import NatsServer, free_port

pytestmark = pytest.mark.slow


def _bus(url: str, **bus: Any) -> NatsBus:
    settings = load_settings(None, overrides={"bus": {"url": url, **bus}}, environ={})
    made = make_bus(settings)
    assert isinstance(made, NatsBus)
    return made


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _read(n: int, camera_id: str = "cam-1") -> ReadEvent:
    return ReadEvent(
        id=n, camera_id=camera_id, plate=f"ABC{n:04d}", confidence=0.9, status=ReadStatus.FINAL,
        region=None, frames=3, observed_at=T0, last_seen_at=T0, snapshot_url=None, crop_url=None,
    )


def _status(n: int) -> CameraStatusEvent:
    return CameraStatusEvent(
        camera_id=f"cam-{n}", name="gate", state=CameraState.ONLINE, since=T0, last_error=None,
        input_fps=25.0, analysed_fps=5.0, skipped_frames=0, motion_skipped_frames=0,
        restarts=n, last_frame_at=None, reconnects=0,
    )


def _drain(sub: Any, count: int, timeout: float = 10.0) -> list[Event]:
    got: list[Event] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            got.append(sub.get(timeout=0.2))
    # Anything beyond ``count`` would be a duplicate: wait a little for it.
    with contextlib.suppress(queue.Empty):
        got.append(sub.get(timeout=0.5))
    return got


def _n(event: Event) -> int:
    assert isinstance(event, CameraStatusEvent)
    return event.restarts


def test_without_url_the_bus_stays_in_process() -> None:
    assert isinstance(make_bus(load_settings(None, environ={})), InProcessBus)


def test_every_instance_sees_every_event_once(nats_server: NatsServer) -> None:
    a, b = _bus(nats_server.url), _bus(nats_server.url)
    try:
        sub_a, sub_b = a.subscribe(), b.subscribe()
        for i in range(20):
            (a if i % 2 else b).publish(_read(i))
        for sub in (sub_a, sub_b):
            got = _drain(sub, 20)
            reads = [e for e in got if isinstance(e, ReadEvent)]
            assert sorted(e.id for e in reads) == list(range(20)) and len(got) == 20
            assert reads[0] == _read(reads[0].id)  # the typed event, field for field
    finally:
        a.close()
        b.close()


def test_resumes_from_last_sequence_after_server_restart(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    publisher, follower = _bus(nats_server.url), _bus(nats_server.url)
    try:
        sub = follower.subscribe(maxsize=10_000)
        for i in range(5):
            publisher.publish(_status(i))
        assert [_n(e) for e in _drain(sub, 5)] == list(range(5))
        seen = follower.last_seq
        assert seen >= 5
        nats_server.stop()
        for i in range(5, 15):  # buffered by the client while the server is down
            publisher.publish(_status(i))
        time.sleep(1.0)
        nats_server.start()  # same port, same store: the stream survives
        got = _drain(sub, 10, timeout=20.0)
        assert [_n(e) for e in got] == list(range(5, 15))
        assert follower.last_seq > seen
        assert follower.conn.reconnects >= 1
    finally:
        publisher.close()
        follower.close()


def test_unreachable_bus_is_a_clear_error() -> None:
    url = f"nats://user:secret@127.0.0.1:{free_port()}"
    settings = load_settings(
        None, overrides={"bus": {"url": url, "connect_timeout_s": 1}}, environ={}
    )
    with pytest.raises(BusUnavailableError) as err:
        make_bus(settings)
    assert "secret" not in err.value.message
    assert "cannot reach NATS" in err.value.message


def test_serve_with_unreachable_bus_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rtcc.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        f"bus: {{url: 'nats://127.0.0.1:{free_port()}', connect_timeout_s: 1}}\n"
    )
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "bus.url" in err and "cannot reach NATS" in err
    assert not (tmp_path / "data" / "rtcc.db").exists()  # failed before touching the database


def test_redact_servers() -> None:
    assert redact_servers("nats://u:p@a:4222, nats://b:4222") == "nats://***@a:4222,nats://b:4222"


def test_undecodable_messages_are_dropped(nats_server: NatsServer) -> None:
    bus = _bus(nats_server.url)
    try:
        sub = bus.subscribe()
        client = bus.conn.client
        bus.conn.run(client.publish("rtcc.events.read", b"not json"))
        bus.conn.run(client.publish("rtcc.events.evil", b'{"type": "evil", "schema_version": 1}'))
        bus.publish(_read(7))
        got = _drain(sub, 1)
        assert got == [_read(7)]
    finally:
        bus.close()
