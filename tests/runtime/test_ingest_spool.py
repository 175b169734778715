"""Reads made while the database is down are kept in the local spool and stored once it returns
(issue 14, "Faults"): a real outage (PostgreSQL behind a proxy that is cut, SQLite write-locked
by another connection), the real ingest thread, hotlist matching and events."""

from __future__ import annotations

import os
import queue
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cameras.backoff import Backoff
from cameras.messages import StatusMessage
from rtcc.clock import FakeClock
from rtcc.events import Event, NewHitEvent, SyncSubscription, SystemAlertEvent
from rtcc.models import Camera, Hit, PlateRead, VideoSegment
from rtcc.runtime.ingest import Ingestor, IngestThread
from rtcc.runtime.services import Services
from rtcc.runtime.spool import IngestSpool
from rtcc.vocab import ReadStatus
from tests.support.clips import Clip, write_clip
from tests.support.db_outage import Outage, services_with_outage
from tests.support.hotlists import add_camera, import_csv
from tests.support.paths import ROOT
from tests.support.reads import CAMERAS, T0, read
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns

HOT = 10  # tests.support.reads: read 10 is the hotlisted plate HOT0010


@pytest.fixture
def world(db_url: str, make_settings: Any, clock: FakeClock) -> Iterator[tuple[Services, Outage]]:
    with services_with_outage(db_url, make_settings, clock) as (svc, outage):
        for cam in CAMERAS:
            add_camera(svc, cam)
        import_csv(svc, "stolen", f"plate,reason\nHOT{HOT:04d},stolen\n")
        yield svc, outage


def start_ingest(svc: Services, source: queue.Queue[Any]) -> IngestThread:
    thread = IngestThread(
        Ingestor(svc),
        source,
        IngestSpool.open(svc.settings.data_dir),
        backoff=Backoff(base_s=0.05, cap_s=0.3),
    )
    thread.start()
    return thread


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def drain(sub: SyncSubscription) -> list[Event]:
    got: list[Event] = []
    while True:
        try:
            got.append(sub.get(timeout=0.01))
        except queue.Empty:
            return got


def stored(svc: Services) -> tuple[list[str], int]:
    """The stored reads' track keys and how many hits there are."""
    with svc.sessions() as session:
        keys = list(session.scalars(select(PlateRead.track_key).order_by(PlateRead.track_key)))
        return keys, int(session.scalar(select(func.count()).select_from(Hit)) or 0)


def camera_state(svc: Services, camera_id: str) -> str | None:
    with svc.sessions() as session:
        cam = session.get(Camera, camera_id)
        return cam.state if cam is not None else None


def tracks(ids: range) -> list[str]:
    return sorted(f"trk-{i}" for i in ids)


def test_reads_during_an_outage_are_stored_with_their_hit_once_it_returns(
    world: tuple[Services, Outage], clock: FakeClock
) -> None:
    svc, outage = world
    sub = svc.bus.subscribe()
    source: queue.Queue[Any] = queue.Queue()
    ingest = start_ingest(svc, source)
    try:
        source.put(read(1))
        wait_until(lambda: ingest.handled == 1, "the first read")
        outage.cut()
        for i in range(2, 13):  # read 10 matches the hotlist
            source.put(read(i, ReadStatus.PREVIEW))
            source.put(read(i))
        source.put(StatusMessage(camera_id="cam-a", state="online", at=T0))
        wait_until(lambda: ingest.writer.outage is not None, "the outage to be noticed")
        wait_until(lambda: len(ingest.spool) == 22, "every read to be spooled")
        during: list[Event] = []
        clock.advance(11)  # still down 11 s later: the alert is repeated with what waits

        def repeated() -> bool:
            during.extend(drain(sub))
            return sum(isinstance(e, SystemAlertEvent) for e in during) >= 2

        wait_until(repeated, "a repeated alert")
        time.sleep(0.5)  # retries go on (with backoff) and nothing is dropped meanwhile
        assert len(ingest.spool) == 22 and ingest.writer.rejected == 0
        during += drain(sub)
        outage.restore()
        wait_until(
            lambda: len(ingest.spool) == 0 and ingest.writer.outage is None,
            "the spool to be stored",
        )
        wait_until(lambda: ingest.handled == 1 + 22 + 1, "the camera status")
    finally:
        ingest.stop()
    after = drain(sub)
    assert stored(svc) == (tracks(range(1, 13)), 1)
    with svc.sessions() as session:
        assert {r.status for r in session.scalars(select(PlateRead))} == {"final"}
        cam = session.get(Camera, "cam-a")
        assert cam is not None and cam.state == "online"
    raised = [e for e in during if isinstance(e, SystemAlertEvent)]
    assert len(raised) >= 2 and all(e.active for e in raised)
    assert raised[0].kind == "database_unreachable" and raised[0].severity == "critical"
    assert raised[-1].queued == 22 and raised[-1].since == raised[0].since == T0
    assert not [e for e in during if isinstance(e, NewHitEvent)]
    hits = [e for e in after if isinstance(e, NewHitEvent)]
    assert [h.plate for h in hits] == [f"HOT{HOT:04d}"] and hits[0].alert
    cleared = [e for e in after if isinstance(e, SystemAlertEvent)]
    assert [c.active for c in cleared] == [False]


def test_a_poison_message_is_dropped_and_the_queue_goes_on(
    world: tuple[Services, Outage],
    caplog: pytest.LogCaptureFixture,
) -> None:
    svc, _ = world
    source: queue.Queue[Any] = queue.Queue()
    ingest = start_ingest(svc, source)
    poison = read(3)
    poison = type(poison)(
        camera_id="no-such-camera", record=poison.record, snapshot_path=None, crop_path=None
    )
    try:
        for msg in (read(1), poison, read(2), read(HOT)):
            source.put(msg)
        wait_until(lambda: ingest.handled == 3 and len(ingest.spool) == 0, "the queue")
    finally:
        ingest.stop()
    assert ingest.writer.rejected == 1
    assert stored(svc) == (sorted(["trk-1", "trk-2", "trk-10"]), 1)
    assert "refused message" in caplog.text and ingest.writer.outage is None


def test_a_read_replayed_after_its_commit_makes_no_second_hit(
    world: tuple[Services, Outage],
) -> None:
    """A crash between the commit and the spool's ack leaves the message spooled: stored again
    on the next start, it finds its row and its hit (no second read, hit or alert)."""
    svc, _ = world
    spool = IngestSpool.open(svc.settings.data_dir)
    for msg in (read(HOT, ReadStatus.PREVIEW), read(HOT)):
        Ingestor(svc).handle(msg)  # committed ...
    spool.put_many([read(HOT, ReadStatus.PREVIEW), read(HOT)])  # ... but never acknowledged
    spool.close()
    sub = svc.bus.subscribe()
    ingest = start_ingest(svc, queue.Queue())
    try:
        wait_until(lambda: len(ingest.spool) == 0, "the replay")
    finally:
        ingest.stop()
    assert stored(svc) == (["trk-10"], 1)
    with svc.sessions() as session:
        [row] = session.scalars(select(PlateRead))
        assert row.status == "final"  # the replayed preview did not demote it
    assert not [e for e in drain(sub) if isinstance(e, NewHitEvent)]


def test_what_was_spooled_is_stored_once_after_a_restart(
    world: tuple[Services, Outage],
) -> None:
    svc, outage = world
    source: queue.Queue[Any] = queue.Queue()
    outage.cut()
    ingest = start_ingest(svc, source)
    for i in range(1, 13):
        source.put(read(i))
    wait_until(lambda: len(ingest.spool) == 12 and ingest.writer.outage is not None, "spooling")
    ingest.stop()
    assert ingest.handled == 0
    outage.restore()
    again = start_ingest(svc, queue.Queue())
    try:
        wait_until(lambda: len(again.spool) == 0, "the leftovers")
    finally:
        again.stop()
    assert stored(svc) == (tracks(range(1, 13)), 1)


def test_the_spool_survives_kill_9(
    world: tuple[Services, Outage],
    tmp_path: Path,
) -> None:
    """A process spools reads while the database is down and is killed with SIGKILL; the next
    start stores every one of them, once."""
    svc, outage = world
    outage.cut()
    data_dir = svc.settings.data_dir
    args = ["tests.support.spool_proc", str(data_dir), svc.settings.database_url, "12"]
    with subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "spooled", line
        finally:
            proc.kill()  # SIGKILL: no clean shutdown of anything
            proc.wait(10)
    outage.restore()
    spool_file = data_dir / "spool" / "ingest.sqlite"
    assert stat.S_IMODE(os.stat(spool_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(spool_file.parent).st_mode) == 0o700
    again = start_ingest(svc, queue.Queue())
    try:
        wait_until(lambda: len(again.spool) == 0, "the leftovers")
    finally:
        again.stop()
    assert stored(svc) == (tracks(range(1, 13)), 1)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return write_clip(
        tmp_path_factory.mktemp("clip") / "one-pass.mp4", seconds=5, passes=[(1.0, 3.0)]
    )


def test_a_real_camera_worker_read_during_an_outage_alerts_once_it_returns(
    world: tuple[Services, Outage], clip: Clip
) -> None:
    """The real path: a camera worker process (scripted recognizer) under the real supervisor
    reads a hotlisted plate while the database is down; it is stored and hits once it returns."""
    svc, outage = world
    add_camera(svc, "gate")
    sub = svc.bus.subscribe()
    outage.cut()
    with CameraRuns(svc.settings.data_dir) as runs:
        sup, _ = runs.start(
            [
                {
                    "id": "gate",
                    "url": str(clip.path),
                    "loop": False,
                    "realtime": False,
                    "detect_fps": 5,
                }
            ],
            recognizer=ScriptedFactory((Reading(1.0, 3.0, f"HOT{HOT:04d}"),)),
        )
        ingest = start_ingest(svc, sup.messages)
        try:
            wait_until(lambda: len(ingest.spool) == 3, "the preview, segment and final", 60)
            wait_until(lambda: ingest.writer.outage is not None, "the outage to be noticed")
            outage.restore()
            wait_until(
                lambda: len(ingest.spool) == 0 and ingest.writer.outage is None,
                "the spool to be stored",
            )
            wait_until(lambda: camera_state(svc, "gate") == "offline", "the camera's status")
        finally:
            ingest.stop()
    with svc.sessions() as session:
        [row] = session.scalars(select(PlateRead))
        [hit] = session.scalars(select(Hit))
        [segment] = session.scalars(select(VideoSegment))
    assert segment.camera_id == "gate"
    assert row.status == "final" and row.plate == f"HOT{HOT:04d}" and hit.read_id == row.id
    hits = [e for e in drain(sub) if isinstance(e, NewHitEvent)]
    assert len(hits) == 1 and hits[0].alert
