"""A batch of bus reads in a few statements: each message id once, a track's versions in order,
hits and mobile cameras as on the single-host path, overlapping claims never doubled."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import StatementError

from cameras.catalog import CameraSpec, create_camera
from hotlist.formats import ParsedEntry
from hotlist.service import replace_list
from rtcc.clock import FakeClock
from rtcc.db import insert_ignore, transaction
from rtcc.events import NewHitEvent, ReadEvent
from rtcc.models import Camera, CameraPosition, Hit, HitSighting, IngestedMessage, PlateRead
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.read_batch import claim, store_batch
from rtcc.runtime.services import Services, build_services
from rtcc.runtime.wire import message_id
from rtcc.schemas.hits import HitOut
from rtcc.vocab import HitStatus, ReadStatus
from tests.support.hotlists import import_csv, read_message
from tests.support.reads import T0, read


def _services(make_settings: Any, db_url: str, clock: FakeClock) -> Services:
    svc = build_services(make_settings(database={"url": db_url}), clock=clock)
    with transaction(svc.sessions) as s:
        for cam in ("cam-a", "cam-b"):
            create_camera(s, CameraSpec(id=cam, url="/v.mp4"), now=T0, origin="api")
        replace_list(
            s,
            name="stolen",
            entries=[ParsedEntry(line=1, plate="HOT0010"), ParsedEntry(line=2, plate="HOT0020")],
            now=T0,
        )
    rebuild_index(svc)
    return svc


def test_a_batch_stores_each_id_once_in_track_order(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    svc = _services(make_settings, db_url, clock)
    try:
        with transaction(svc.sessions) as s:  # stored by an earlier batch
            store_batch(s, svc, [(message_id(read(1)), read(1))], now=clock.now())
        batch = [
            read(1),  # redelivered
            read(2),
            read(2),  # twice in the batch
            read(10, ReadStatus.PREVIEW),  # a hit: preview, then its final
            read(10),
            read(20),  # a hit whose preview arrives after its final: dropped
            read(20, ReadStatus.PREVIEW),
            read(3),
        ]
        with transaction(svc.sessions) as s:
            got = store_batch(s, svc, [(message_id(m), m) for m in batch], now=clock.now())
        assert len(got.fresh) == 6 and got.bulk == 4  # 2, 10 preview, 20 final, 3
        with svc.sessions() as s:
            rows = dict(s.execute(select(PlateRead.track_key, PlateRead.status)).all())
            hits = s.scalar(select(func.count()).select_from(Hit))
        assert rows == {f"trk-{i}": "final" for i in (1, 2, 3, 10, 20)}
        assert hits == 2  # one per car: the final of read 10 joins its preview's hit
        reads = [e for e in got.events if isinstance(e, ReadEvent)]
        assert sorted(e.plate for e in reads) == [
            "HOT0010",
            "HOT0010",
            "HOT0020",
            "RD00002",
            "RD00003",
        ]
        assert sorted(e.plate for e in got.events if isinstance(e, NewHitEvent)) == [
            "HOT0010",
            "HOT0020",
        ]
        with transaction(svc.sessions) as s:  # the whole batch redelivered
            again = store_batch(s, svc, [(message_id(m), m) for m in batch], now=clock.now())
        assert (again.fresh, again.events) == ([], [])
    finally:
        svc.engine.dispose()


def test_a_mobile_cameras_read_gets_its_position(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    svc = _services(make_settings, db_url, clock)
    try:
        with transaction(svc.sessions) as s:
            s.get_one(Camera, "cam-b").mobile = True  # read(1) is on cam-b
            s.add(CameraPosition(camera_id="cam-b", at=T0, lat=40.7, lon=-74.0, received_at=T0))
        with transaction(svc.sessions) as s:
            got = store_batch(
                s,
                svc,
                [(message_id(m), m) for m in (read(1), read(2))],
                now=clock.now() + timedelta(seconds=5),
            )
        assert got.bulk == 1  # read(2), on the fixed camera
        with svc.sessions() as s:
            spots = dict(s.execute(select(PlateRead.track_key, PlateRead.lat)).all())
        assert spots == {"trk-1": 40.7, "trk-2": None}
    finally:
        svc.engine.dispose()


def test_overlapping_claims_wait_and_skip_never_double(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    svc = _services(make_settings, db_url, clock)
    a, b, c = read(1), read(2), read(3)
    second: list[Any] = []
    try:
        with transaction(svc.sessions) as first:
            assert claim(first, [("a", a), ("b", b)], now=clock.now()) == [a, b]

            def other_consumer() -> None:
                with transaction(svc.sessions) as s:
                    second.extend(claim(s, [("b", b), ("c", c)], now=clock.now()))

            thread = threading.Thread(target=other_consumer)
            thread.start()
            thread.join(0.5)
            assert thread.is_alive()  # waits for the first transaction
        thread.join(30)
        assert second == [c]
    finally:
        svc.engine.dispose()


def test_a_batchs_hits_fold_and_alert_as_one_by_one(
    services: Services, clock: FakeClock
) -> None:
    """``sightings.record_new``: the batch's hits in a fixed number of statements, with the
    outcomes of recording each read in turn — a pass of a car with an open hit folds into it,
    a car whose hit was handled long ago alerts again, a new car raises a hit, and the same
    car twice in one batch raises one hit that the second pass folds into."""
    import_csv(services, "stolen", "plate,reason\nABC1234,stolen\nXYZ9876,stolen\nQQQ1111,stolen\n")
    ingest = Ingestor(services)
    ingest.handle(read_message(services, "ABC1234", camera_id="cam1"))  # an open hit
    ingest.handle(read_message(services, "QQQ1111", camera_id="cam2"))  # handled long ago
    with transaction(services.sessions) as s:
        s.execute(
            update(Hit)
            .where(Hit.plate == "QQQ1111")
            .values(status=HitStatus.ACKNOWLEDGED.value, status_at=T0 - timedelta(days=1))
        )
    clock.advance(30)  # within the fold window
    msgs = [
        read_message(services, "ABC1234", camera_id="cam1"),
        read_message(services, "XYZ9876", camera_id="cam1"),
        read_message(services, "QQQ1111", camera_id="cam2"),
        read_message(services, "XYZ9876", camera_id="cam1"),  # the same car, a second pass
    ]
    with transaction(services.sessions) as s:
        got = store_batch(s, services, [(message_id(m), m) for m in msgs], now=clock.now())
    kinds = [(e.type, e.plate, e.alert) for e in got.events if e.type != "read"]
    assert sorted(kinds) == sorted([
        ("hit_updated", "ABC1234", False),
        ("hit", "XYZ9876", True),
        ("hit", "QQQ1111", True),
        ("hit_updated", "XYZ9876", False),
    ])
    with services.sessions() as s:
        hits = {
            (h.plate, h.camera_id, h.status): h.occurrences
            for h in s.scalars(select(Hit).order_by(Hit.id))
        }
        sightings = s.scalar(select(func.count()).select_from(HitSighting))
    assert hits == {
        ("ABC1234", "cam1", "new"): 2,
        ("QQQ1111", "cam2", "acknowledged"): 1,
        ("QQQ1111", "cam2", "new"): 1,
        ("XYZ9876", "cam1", "new"): 2,
    }
    assert sightings == 2
    new_hit = next(e for e in got.events if e.type == "hit" and e.plate == "XYZ9876")
    with services.sessions() as s:  # the event is the stored hit (built without a reload)
        stored = HitOut.load(s, s.get_one(Hit, new_hit.id)).model_dump()
    built = HitOut(**{k: getattr(new_hit, k) for k in HitOut.model_fields}).model_dump()
    for key in ("occurrences", "last_seen_at"):  # the second pass folded in since
        stored.pop(key), built.pop(key)
    assert built == stored



def test_insert_ignore_keeps_times_utc_and_numbers_plain(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    """The batch insert's rows: a naive time is refused (never stored as the server's local
    time), numpy numbers go in as plain ones, a repeated key comes back once."""
    svc = _services(make_settings, db_url, clock)
    table = IngestedMessage.__table__
    try:
        naive = [{"message_id": "m1", "at": T0.replace(tzinfo=None)}]
        refused = pytest.raises((ValueError, StatementError), match="naive")
        with refused, transaction(svc.sessions) as s:
            insert_ignore(s, table, naive, ("message_id",))
        with transaction(svc.sessions) as s:
            rows = [{"message_id": "m1", "at": T0}, {"message_id": "m1", "at": T0}]
            assert insert_ignore(s, table, rows, ("message_id",)) == [("m1",)]
        with transaction(svc.sessions) as s:
            got = insert_ignore(s, CameraPosition.__table__, [{
                "camera_id": "cam-a", "at": T0, "received_at": T0,
                "lat": np.float64(40.5), "lon": np.float32(-73.25),
            }], ("lat", "lon"))
            assert got == [(40.5, -73.25)]
        with svc.sessions() as s:
            assert s.scalar(select(IngestedMessage.at)) == T0
    finally:
        svc.engine.dispose()
