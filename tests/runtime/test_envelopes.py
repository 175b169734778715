"""Envelopes between a node and the hub: many worker messages in one bus message, each kept
apart by its own id. Framing and the payload cap without a server; exactly once and a bad
message rejected alone through a real nats-server and database."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cameras.catalog import CameraSpec, create_camera
from cameras.messages import StatusMessage, WorkerMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox, Pending
from rtcc.bus.streams import envelope_subject, ingest_stream
from rtcc.db import transaction
from rtcc.models import Camera, IngestedMessage, PlateRead
from rtcc.runtime.forwarder import ENVELOPE_HEADER, Forwarder, plan_envelopes
from rtcc.runtime.ingest_consumer import DURABLE, IngestConsumer
from rtcc.runtime.services import Services, build_services
from rtcc.runtime.wire import (
    ENVELOPE_MAGIC,
    WireError,
    encode,
    envelope_id,
    frame_size,
    message_id,
    pack,
    unpack_envelope,
)
from tests.support.natsserver import NatsServer
from tests.support.reads import CAMERAS, T0, read


def test_pack_keeps_each_message_apart() -> None:
    items = [("a.final", b"x y\nz"), ("st.1", b""), ("seg.2", bytes(range(256)) * 3)]
    data = pack(items)
    assert unpack_envelope(data) == items
    assert len(data) == len(ENVELOPE_MAGIC) + sum(frame_size(m, p) for m, p in items)
    for broken in (data[:-1], data[:20], b"{}", ENVELOPE_MAGIC + b"a 5\nxy",
                   ENVELOPE_MAGIC + b"a -1\n", ENVELOPE_MAGIC + b" 0\n", ENVELOPE_MAGIC + b"ab"):
        with pytest.raises(WireError):
            unpack_envelope(broken)
    with pytest.raises(WireError):
        pack([("has space", b"")])
    assert envelope_id(["a", "b"]) == envelope_id(["a", "b"]) != envelope_id(["a", "c"])


def test_an_envelope_never_exceeds_the_cap() -> None:
    rng = random.Random(7)
    pending = [
        Pending(i, f"{i:032x}.final", "s", b"p" * rng.choice([10, 300, 2000, 5000]))
        for i in range(400)
    ]
    cap = 4096
    groups = plan_envelopes(pending, cap)
    assert [p for g in groups for p in g] == pending  # all of them, in order
    for group in groups:
        size = len(pack([(p.message_id, p.payload) for p in group]))
        assert size <= cap or len(group) == 1  # larger alone: the server decides
    assert sum(len(g) == 1 and len(g[0].payload) > cap for g in groups) == sum(
        len(p.payload) > cap for p in pending
    )
    for group, after in zip(groups, groups[1:], strict=False):  # each as full as it could be
        size = len(pack([(p.message_id, p.payload) for p in group]))
        assert size + frame_size(after[0].message_id, after[0].payload) > cap


@pytest.fixture
def hub(make_settings: Any, db_url: str, tmp_path: Path) -> Iterator[Services]:
    server = NatsServer(tmp_path / "jetstream").start()
    settings = make_settings(
        database={"url": db_url},
        bus={"url": server.url, "ingest_ack_wait_s": 1, "ingest_batch": 50},
    )
    svc = build_services(settings)
    with transaction(svc.sessions) as s:
        for cam in CAMERAS:
            create_camera(s, CameraSpec(id=cam, url="/v.mp4"), now=T0, origin="api")
    try:
        yield svc
    finally:
        svc.engine.dispose()
        server.stop()


def _count(svc: Services, what: Any) -> int:
    with svc.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


def _wait(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _send(conn: NatsConnection, svc: Services, items: list[tuple[str, bytes]]) -> None:
    """One envelope as a node's forwarder publishes it."""
    headers = {"Nats-Msg-Id": envelope_id([m for m, _ in items]),
               ENVELOPE_HEADER: str(len(items)), "Rtcc-Node": "n7"}
    subject = envelope_subject(svc.settings.bus, "n7")
    conn.run(conn.jetstream().publish(subject, pack(items), headers=headers))


def _settled(conn: NatsConnection, svc: Services) -> bool:
    """Nothing waiting or unacknowledged in the ingest stream."""
    info = conn.run(conn.jetstream().consumer_info(ingest_stream(svc.settings.bus), DURABLE))
    return not info.num_pending and not info.num_ack_pending


def _item(msg: Any) -> tuple[str, bytes]:
    return message_id(msg), encode(msg)


@pytest.mark.slow
def test_an_envelope_sent_again_stores_nothing_twice(hub: Services) -> None:
    consumer = IngestConsumer(hub, NatsConnection.open(hub.settings.bus)).start()
    node = NatsConnection.open(hub.settings.bus)
    try:
        first = [_item(read(i)) for i in range(3)]
        _send(node, hub, first)
        _wait(lambda: consumer.stored == 3, "the first envelope")
        _send(node, hub, [_item(read(i)) for i in (1, 2, 3, 4)])  # other company, other id
        _send(node, hub, first)  # the same envelope: dropped by the stream's window
        _wait(lambda: consumer.stored == 5, "the second envelope")
        _wait(lambda: _settled(node, hub), "the envelopes acknowledged")
        time.sleep(1.5)  # longer than ack_wait: a redelivery would have arrived
        assert (consumer.stored, consumer.duplicates, consumer.rejected) == (5, 2, 0)
        assert _count(hub, PlateRead) == 5 and _count(hub, IngestedMessage) == 5
    finally:
        consumer.stop()
        consumer.conn.close()
        node.close()


@pytest.mark.slow
def test_a_bad_message_in_an_envelope_is_rejected_alone(hub: Services) -> None:
    consumer = IngestConsumer(hub, NatsConnection.open(hub.settings.bus)).start()
    node = NatsConnection.open(hub.settings.bus)
    try:
        planted = "media/reads/cam-zzz/2026-03-01/trk-9-snap.jpg"
        status = StatusMessage(camera_id="cam-a", state="online", at=T0)
        _send(node, hub, [
            _item(read(0)),
            ("garbage.final", b"{not json"),
            (message_id(read(9)), encode(read(9), media={planted: b"\xff\xd8"})),
            _item(status),
            _item(read(2)),
        ])
        _wait(lambda: consumer.stored == 2, "the good reads")
        _wait(lambda: _settled(node, hub), "the envelope acknowledged")
        node.run(node.client.publish(envelope_subject(hub.settings.bus, "n7"), b"junk",
                                     headers={ENVELOPE_HEADER: "3"}))
        _wait(lambda: consumer.rejected == 3, "the unreadable envelope")
        _wait(lambda: _settled(node, hub), "the unreadable envelope terminated")
        time.sleep(1.5)  # longer than ack_wait: nothing comes back
        assert (consumer.stored, consumer.rejected) == (2, 3)
        with hub.sessions() as s:
            assert set(s.scalars(select(PlateRead.track_key))) == {"trk-0", "trk-2"}
            cam = s.get(Camera, "cam-a")
            assert cam is not None and cam.node == "n7"  # the status message was handled
        assert not (hub.settings.data_dir / planted).exists()
    finally:
        consumer.stop()
        consumer.conn.close()
        node.close()


@pytest.mark.slow
def test_the_forwarder_packs_under_the_cap(hub: Services, tmp_path: Path) -> None:
    node = NatsConnection.open(hub.settings.bus)
    seen: list[Any] = []

    async def watch(msg: Any) -> None:
        seen.append(msg)

    node.run(node.client.subscribe(f"{hub.settings.bus.subject_prefix}.ingest.>", cb=watch))
    outbox = Outbox(tmp_path / "outbox.db")
    cap = 2048
    forwarder = Forwarder(node, outbox, node_id="n.1", envelope_bytes=cap)
    msgs: list[WorkerMessage] = [read(i) for i in range(120)]
    forwarder.submit_many(msgs)  # one round: several envelopes
    forwarder.start()
    try:
        assert forwarder.flush(20)
        _wait(lambda: sum(int(m.headers[ENVELOPE_HEADER]) for m in seen) == len(msgs), "all")
        assert all(len(m.data) <= cap for m in seen)
        assert all(m.subject == f"{hub.settings.bus.subject_prefix}.ingest.envelope.n_1"
                   for m in seen)
        ids = [mid for m in seen for mid, _ in unpack_envelope(m.data)]
        assert ids == [message_id(m) for m in msgs]  # each once, in order
        assert 1 < len(seen) < len(msgs) / 2 and forwarder.forwarded == len(msgs)
    finally:
        forwarder.stop()
        node.close()
        outbox.close()
