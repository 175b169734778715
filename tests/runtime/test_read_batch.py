"""A batch of bus reads in a few statements: each message id once, a track's versions in order,
hits and mobile cameras as on the single-host path, overlapping claims never doubled."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cameras.catalog import CameraSpec, create_camera
from hotlist.formats import ParsedEntry
from hotlist.service import replace_list
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.events import NewHitEvent, ReadEvent
from rtcc.models import Camera, CameraPosition, Hit, PlateRead
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.read_batch import claim, store_batch
from rtcc.runtime.services import Services, build_services
from rtcc.runtime.wire import message_id
from rtcc.vocab import ReadStatus
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
