"""Reads reach the database exactly once through a real nats-server: a node cut off for 30 s
forwards its outbox afterwards; an ingest consumer killed mid-batch loses and doubles nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from cameras.catalog import CameraSpec, create_camera
from hotlist.formats import ParsedEntry
from hotlist.service import replace_list
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox
from rtcc.db import transaction
from rtcc.models import Hit, IngestedMessage, PlateRead
from rtcc.runtime.forwarder import Forwarder
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.ingest_consumer import IngestConsumer
from rtcc.runtime.services import Services, build_services
from rtcc.runtime.wire import decode, encode, message_id
from rtcc.vocab import ReadStatus
from tests.support.natsserver import NatsServer
from tests.support.paths import ROOT
from tests.support.reads import CAMERAS, T0, read

pytestmark = pytest.mark.slow
@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "jetstream").start()
    yield server
    server.stop()


@pytest.fixture
def hub(make_settings: Any, db_url: str, nats_server: NatsServer) -> Iterator[Services]:
    """Services on the test database with the bus settings; two cameras and a hotlist."""
    settings = make_settings(
        database={"url": db_url},
        bus={"url": nats_server.url, "ingest_ack_wait_s": 2, "ingest_batch": 50},
    )
    svc = build_services(settings)
    with transaction(svc.sessions) as s:
        for cam in CAMERAS:
            create_camera(s, CameraSpec(id=cam, url="/v.mp4"), now=T0, origin="api")
        entries = [ParsedEntry(line=n, plate=f"HOT{n * 10:04d}") for n in range(1000)]
        replace_list(s, name="stolen", entries=entries, now=T0)
    rebuild_index(svc)
    yield svc
    svc.engine.dispose()


def _count(svc: Services, what: Any) -> int:
    with svc.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


def _wait(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _assert_each_once(svc: Services, n: int) -> None:
    with svc.sessions() as s:
        reads = s.execute(select(PlateRead.camera_id, PlateRead.track_key)).all()
        hits = s.execute(select(Hit.read_id, Hit.entry_id, Hit.occurrences)).all()
    assert len(reads) == n and len(set(reads)) == n
    assert len(hits) == len({(r, e) for r, e, _ in hits}) == len(range(0, n, 10))
    assert all(occ == 1 for _, _, occ in hits)


def test_wire_round_trip() -> None:
    msg = read(7, ReadStatus.PREVIEW)
    assert decode(encode(msg)) == msg
    assert message_id(msg) != message_id(read(7)) and message_id(read(7)) == message_id(read(7))


def test_node_cut_off_30s_then_forwards_everything_once(
    hub: Services, nats_server: NatsServer, tmp_path: Path
) -> None:
    node = NatsConnection.open(hub.settings.bus)
    outbox = Outbox(tmp_path / "node" / "outbox.db")
    forwarder = Forwarder(node, outbox).start()
    consumer = IngestConsumer(hub, NatsConnection.open(hub.settings.bus)).start()
    try:
        for i in range(40):
            forwarder.submit(read(i, ReadStatus.PREVIEW))
            forwarder.submit(read(i))
        _wait(lambda: _count(hub, IngestedMessage) == 80, 30, "reads before the cut")
        nats_server.stop()
        cut_at = time.monotonic()
        i = 40
        while time.monotonic() - cut_at < 30:  # the node keeps reading while cut off
            forwarder.submit(read(i))
            forwarder.submit(read(i - 40))  # the same read again: one message id
            i += 1
            time.sleep(0.25)
        # Stored, waiting for the hub: the new reads, and once more the 40 acknowledged before
        # the cut (the same ids: JetStream's de-duplication drops them after the reconnect).
        assert len(outbox) == (i - 40) + 40
        assert _count(hub, PlateRead) == 40
        nats_server.start()
        _wait(lambda: _count(hub, PlateRead) == i, 60, "reads after reconnecting")
        assert forwarder.flush(10) and len(outbox) == 0
        # Redelivery after the ack was lost: the inbox refuses the copy.
        consumer.handle(encode(read(3)), message_id(read(3)))
        assert consumer.duplicates >= 1
        time.sleep(1.0)
        _assert_each_once(hub, i)
        assert consumer.hits == len(range(0, i, 10)) and consumer.lag_s > 0  # the metrics
        with hub.sessions() as s:
            statuses = set(s.scalars(select(PlateRead.status)))
        assert statuses == {"final"}  # no preview overwrote its final
    finally:
        consumer.stop()
        forwarder.stop()
        consumer.conn.close()
        node.close()
        outbox.close()


def test_ingest_killed_mid_batch_loses_and_doubles_nothing(
    hub: Services, tmp_path: Path
) -> None:
    total = 3000
    node = NatsConnection.open(hub.settings.bus)
    outbox = Outbox(tmp_path / "node" / "outbox.db")
    forwarder = Forwarder(node, outbox, batch=500).start()
    for i in range(total):
        forwarder.submit(read(i))
    assert forwarder.flush(60), "outbox not forwarded"
    config = tmp_path / "ingest.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(hub.settings.data_dir), "environment": "test",
        "database": {"url": hub.settings.database_url},
        "bus": hub.settings.bus.model_dump(),
    }))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.ingest_proc", str(config)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    consumer = None
    try:
        _wait(lambda: _count(hub, PlateRead) >= 300, 60, "the first consumer to store reads")
        os.kill(proc.pid, signal.SIGKILL)  # kill -9, mid-batch
        proc.wait(10)
        stored_at_kill = _count(hub, PlateRead)
        assert stored_at_kill < total, "the consumer finished before it could be killed"
        consumer = IngestConsumer(hub, NatsConnection.open(hub.settings.bus)).start()
        _wait(lambda: _count(hub, PlateRead) == total, 120, "the second consumer to catch up")
        time.sleep(3.0)  # longer than ack_wait: any redelivery would have arrived
        _assert_each_once(hub, total)
        assert _count(hub, IngestedMessage) == total
    finally:
        if proc.poll() is None:
            proc.kill()
        if consumer is not None:
            consumer.stop()
            consumer.conn.close()
        forwarder.stop()
        node.close()
        outbox.close()
