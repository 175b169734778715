"""The ingest consumer's store step without a server: exactly once, no downgrade, inbox purge."""

from __future__ import annotations

import queue
from typing import Any

import pytest
from sqlalchemy import func, select

from cameras.catalog import CameraSpec, create_camera
from rtcc.bus.connection import NatsConnection
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.models import IngestedMessage, PlateRead
from rtcc.runtime.ingest_consumer import IngestConsumer
from rtcc.runtime.services import Services, build_services
from rtcc.runtime.wire import encode, message_id
from rtcc.vocab import ReadStatus
from tests.support.reads import T0, read


def _consumer(make_settings: Any, db_url: str, clock: FakeClock) -> tuple[Services, IngestConsumer]:
    settings = make_settings(database={"url": db_url},
                             bus={"url": "nats://127.0.0.1:1", "reads_max_age_s": 3600})
    svc = build_services(settings, clock=clock)
    with transaction(svc.sessions) as s:
        for cam in ("cam-a", "cam-b"):
            create_camera(s, CameraSpec(id=cam, url="/v.mp4"), now=T0, origin="api")
    return svc, IngestConsumer(svc, NatsConnection(settings.bus))  # never connected


def _drain(sub: Any) -> list[Any]:
    """Every event waiting on ``sub``."""
    events = []
    while True:
        try:
            events.append(sub.get(timeout=0))
        except queue.Empty:
            return events


def _count(svc: Services, what: Any) -> int:
    with svc.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


def test_once_no_downgrade_and_purge(make_settings: Any, db_url: str, clock: FakeClock) -> None:
    svc, consumer = _consumer(make_settings, db_url, clock)
    try:
        final, preview = read(4), read(4, ReadStatus.PREVIEW)
        for msg in (final, final, preview, preview):  # redelivered, and out of order
            consumer.handle(encode(msg), message_id(msg))
        assert (consumer.stored, consumer.duplicates) == (2, 2)
        with svc.sessions() as s:
            assert list(s.scalars(select(PlateRead.status))) == ["final"]
        assert _count(svc, IngestedMessage) == 2
        clock.advance(3600 * 1.05)
        assert consumer.purge_inbox() == 0  # still within the stream's keep time
        clock.advance(3600 * 0.1)
        assert consumer.purge_inbox(batch=1) == 2
        assert _count(svc, IngestedMessage) == 0 and _count(svc, PlateRead) == 1
    finally:
        svc.engine.dispose()


def test_a_batch_is_one_transaction_each_read_once_hits_once(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    from hotlist.formats import ParsedEntry
    from hotlist.service import replace_list
    from rtcc.events import NewHitEvent, ReadEvent
    from rtcc.models import Hit
    from rtcc.runtime.hotlists import rebuild_index

    svc, consumer = _consumer(make_settings, db_url, clock)
    try:
        with transaction(svc.sessions) as s:
            replace_list(s, name="stolen", entries=[ParsedEntry(line=1, plate="HOT0010")], now=T0)
        rebuild_index(svc)
        sub = svc.bus.subscribe()
        consumer.handle(encode(read(1)), message_id(read(1)))  # stored before the batch
        batch = [read(1), read(2), read(2), read(10, ReadStatus.PREVIEW), read(10), read(3)]
        assert consumer.store_reads([(message_id(m), m) for m in batch])
        # read 1: stored before; read 2: twice in the batch; read 10: preview then final
        assert (consumer.stored, consumer.duplicates, consumer.hits) == (5, 2, 1)
        with svc.sessions() as s:
            rows = {k: v for k, v in s.execute(select(PlateRead.track_key, PlateRead.status))}
            assert rows == {"trk-1": "final", "trk-2": "final", "trk-3": "final",
                            "trk-10": "final"}
            assert s.scalar(select(func.count()).select_from(Hit)) == 1
        events = _drain(sub)
        assert sum(isinstance(e, NewHitEvent) for e in events) == 1
        assert sum(isinstance(e, ReadEvent) for e in events) == 1 + 4  # the preview has its own
        assert consumer.store_reads([(message_id(m), m) for m in batch])  # all redelivered
        assert (consumer.stored, consumer.duplicates) == (5, 2 + len(batch))
    finally:
        svc.engine.dispose()


def test_a_hit_is_committed_and_published_ahead_of_its_batchs_plain_reads(
    make_settings: Any, db_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads that hit go first, in a transaction of their own: the hit is out before the
    plain reads of its batch are stored, and stays stored when storing them fails."""
    from hotlist.formats import ParsedEntry
    from hotlist.service import replace_list
    from rtcc.events import NewHitEvent, ReadEvent
    from rtcc.runtime import ingest_consumer
    from rtcc.runtime.hotlists import rebuild_index

    svc, consumer = _consumer(make_settings, db_url, clock)
    try:
        with transaction(svc.sessions) as s:
            entries = [ParsedEntry(line=1, plate="HOT0010"), ParsedEntry(line=2, plate="HOT0020")]
            replace_list(s, name="stolen", entries=entries, now=T0)
        rebuild_index(svc)
        sub = svc.bus.subscribe()
        batch = [read(2), read(10), read(3)]
        assert consumer.store_reads([(message_id(m), m) for m in batch])
        events = _drain(sub)
        kinds = [(type(e).__name__, getattr(e, "plate", None)) for e in events]
        assert kinds[:2] == [("ReadEvent", "HOT0010"), ("NewHitEvent", "HOT0010")], kinds
        assert sorted(e.plate for e in events[2:] if isinstance(e, ReadEvent)) == [
            "RD00002", "RD00003"]
        assert sum(isinstance(e, NewHitEvent) for e in events) == 1

        # The plain reads' transaction fails: the hit's is committed already.
        real = ingest_consumer.store_batch
        calls = []

        def failing_second(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("database gone")
            return real(*args, **kwargs)

        monkeypatch.setattr(ingest_consumer, "store_batch", failing_second)
        later = [read(4), read(20), read(5)]
        with pytest.raises(RuntimeError):
            consumer.store_reads([(message_id(m), m) for m in later])
        with svc.sessions() as s:
            keys = set(s.scalars(select(PlateRead.track_key)))
        assert "trk-20" in keys and "trk-4" not in keys and "trk-5" not in keys
    finally:
        svc.engine.dispose()
