"""The executor on real databases (SQLite and PostgreSQL) with a real media folder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from retention.executor import RetentionRefusedError, RunOptions
from retention.holds import create_hold
from retention.report import build_report
from rtcc.audit import SYSTEM, verify
from rtcc.db import transaction
from rtcc.errors import ConflictError, InvalidInputError
from rtcc.models import AuditEvent, CameraStatus, Hit, PlateRead, RetentionRun, VideoSegment
from rtcc.runtime.services import Services
from tests.support import retention_data as f

DAY = timedelta(days=1)


def _ids(services: Services, model: Any) -> set[int]:
    with services.sessions() as s:
        return set(s.scalars(select(model.id)))


def _seed_spread(services: Services) -> dict[str, Any]:
    """One read, segment and status per day over 0..120 days, plus hit reads and a hold."""
    now = services.clock.now()
    data = services.settings.data_dir
    out: dict[str, Any] = {"reads": {}, "segments": {}, "statuses": {}}
    with transaction(services.sessions) as s:
        for age in range(121):
            at = now - age * DAY
            out["reads"][f.read(s, data, at, plate=f"P{age}").id] = age
            out["segments"][f.segment(s, data, at).id] = age
            out["statuses"][f.status(s, at).id] = age
        hit_read = f.read(s, data, now - 100 * DAY, plate="HOT1")
        out["hit"] = f.hit(s, hit_read).id
        out["hit_read"] = hit_read.id
        held = f.read(s, data, now - 110 * DAY, plate="EVID1")
        out["held_read"] = held.id
        create_hold(
            s,
            now=now,
            actor=SYSTEM,
            case_number="2026-0042",
            reason="robbery",
            data_class="plate_reads",
            plate="EVID1",
            start_at=now - 111 * DAY,
            end_at=now - 109 * DAY,
            expires_at=now + 30 * DAY,
        )
    return out


def test_end_to_end_spread_over_120_days(services: Services, make_executor: Any) -> None:
    seeded = _seed_spread(services)
    ex = make_executor(services, hit_reads_days=180, hits_days=180)
    result = ex.run(RunOptions(force=True))  # video loses 90 of 121: over the 50% rail
    assert result.status == "ok", result.errors
    # exactly 30 d old is kept, so ages 31..120 go (90 items), reads 91..120 (30 items)
    assert result.deleted_rows["video"] == 90
    assert result.deleted_rows["plate_reads"] == 30
    assert result.deleted_rows["camera_status"] == 30
    assert result.skipped_held["plate_reads"] == 1
    assert result.deleted_bytes["video"] == 90 * 1000
    assert result.deleted_bytes["plate_reads"] == 30 * 110
    reads = _ids(services, PlateRead)
    assert reads == {i for i, a in seeded["reads"].items() if a <= 90} | {
        seeded["hit_read"],
        seeded["held_read"],
    }
    assert _ids(services, VideoSegment) == {i for i, a in seeded["segments"].items() if a <= 30}
    assert _ids(services, CameraStatus) == {i for i, a in seeded["statuses"].items() if a <= 90}
    assert _ids(services, Hit) == {seeded["hit"]}
    with services.sessions() as s:
        report = build_report(
            s, now=services.clock.now(), settings=ex.settings, data_dir=ex.data_dir
        )
        run = s.get(RetentionRun, result.run_id)
        assert (
            run is not None and run.status == "ok" and run.deleted_rows == dict(result.deleted_rows)
        )
        assert s.scalar(select(func.count()).where(AuditEvent.action == "retention.run")) == 1
        assert verify(s) is None
    assert report["compliant"], report["reasons"]
    assert report["reconciliation"]["orphan_files"] == 0
    assert report["reconciliation"]["missing_files"] == 0
    assert report["classes"]["plate_reads"]["held_past_period"] == 1
    assert report["holds"][0]["case_number"] == "2026-0042"
    # idempotent: the second run deletes nothing
    again = ex.run(RunOptions())
    assert again.status == "ok" and sum(again.deleted_rows.values()) == 0


def test_dry_run_deletes_nothing_and_now_needs_dry_run(
    services: Services, make_executor: Any
) -> None:
    seeded = _seed_spread(services)
    ex = make_executor(services)
    later = services.clock.now() + 200 * DAY
    with pytest.raises(InvalidInputError):
        ex.run(RunOptions(now=later))
    result = ex.run(RunOptions(dry_run=True, now=later, force=True))
    # 200 days on, the hold (expiring after 30 days) no longer protects: every read would go
    assert result.deleted_rows["plate_reads"] == len(seeded["reads"]) + 2
    soon = ex.run(RunOptions(dry_run=True, now=services.clock.now() + 29 * DAY, force=True))
    assert soon.skipped_held["plate_reads"] == 1
    assert len(_ids(services, PlateRead)) == len(seeded["reads"]) + 2
    with services.sessions() as s:
        assert s.get(RetentionRun, result.run_id).dry_run  # type: ignore[union-attr]


def test_safety_rail_refuses_more_than_half(services: Services, make_executor: Any) -> None:
    _seed_spread(services)
    before = len(_ids(services, VideoSegment))
    result = make_executor(services).run(RunOptions())
    assert result.status == "refused"
    assert any("video: refusing to delete 90 of 121" in e for e in result.errors)
    assert len(_ids(services, VideoSegment)) == before  # refused class untouched
    assert any("hits: refusing to delete 1 of 1" in e for e in result.errors)
    # hit reads follow the (default 90-day) hit-read period: the 100-day one goes too
    assert result.deleted_rows["plate_reads"] == 31  # 31 of 123 reads is under the rail


def test_refuses_empty_database_with_media(services: Services, make_executor: Any) -> None:
    stray = services.settings.data_dir / "media/reads/cam1/2025-01-01/x-snap.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"jpeg")
    with pytest.raises(RetentionRefusedError, match="wrong or new database"):
        make_executor(services).run(RunOptions(force=True))
    assert stray.exists()
    with services.sessions() as s:
        assert s.scalars(select(RetentionRun.status)).all() == ["refused"]


def test_rows_with_missing_files_are_completed_and_orphans_swept(
    services: Services, make_executor: Any
) -> None:
    now = services.clock.now()
    data: Path = services.settings.data_dir
    with transaction(services.sessions) as s:
        gone = f.read(s, data, now - 100 * DAY)
        kept = [f.read(s, data, now - a * DAY).id for a in range(3)]
    (data / gone.snapshot_path).unlink()  # type: ignore[operator]  # as after a crash
    orphan = data / "media/reads/cam1/2025-01-01/lost-snap.jpg"
    young = data / "media/reads/cam1/2026-03-01/inflight-snap.jpg"
    for p in (orphan, young):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 7)
    old = (now - 2 * DAY).timestamp()
    import os

    os.utime(orphan, (old, old))
    os.utime(young, (now.timestamp(), now.timestamp()))
    result = make_executor(services).run(RunOptions())
    assert result.status == "ok", result.errors
    assert _ids(services, PlateRead) == set(kept)
    assert not orphan.exists() and young.exists()
    assert result.deleted_rows["orphan_files"] == 1


def test_orphans_wait_while_camera_messages_wait_for_the_database(
    services: Services, make_executor: Any
) -> None:
    """After a long database outage a photo whose read is still in the ingest spool has no row
    yet: it is not an orphan until the spool is empty."""
    import os

    from rtcc.bus.outbox import Outbox
    from rtcc.datadir import INGEST_SPOOL

    now = services.clock.now()
    data: Path = services.settings.data_dir
    with transaction(services.sessions) as s:
        for age in range(3):
            f.read(s, data, now - age * DAY)
    photo = data / "media/reads/cam1/2025-01-01/spooled-snap.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"x" * 7)
    old = (now - 2 * DAY).timestamp()
    os.utime(photo, (old, old))
    spool = Outbox(data / INGEST_SPOOL)
    spool.put("read:cam1:t1:final", "read", b"{}")
    try:
        result = make_executor(services).run(RunOptions())
        assert result.status == "ok", result.errors
        assert photo.exists() and result.deleted_rows.get("orphan_files", 0) == 0
        assert any("1 camera message(s) still waiting" in n for n in result.notes)
        spool.ack("read:cam1:t1:final")  # stored at last (here: given up) -> a real orphan
        result = make_executor(services).run(RunOptions())
        assert not photo.exists() and result.deleted_rows["orphan_files"] == 1
    finally:
        spool.close()


def test_one_run_at_a_time(services: Services, make_executor: Any) -> None:
    from retention.executor import run_lock

    with run_lock(services.settings.data_dir), pytest.raises(ConflictError, match="in progress"):
        make_executor(services).run(RunOptions())


def test_a_path_outside_data_dir_is_never_deleted(
    services: Services, make_executor: Any, tmp_path: Path
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    now = services.clock.now()
    with transaction(services.sessions) as s:
        bad = f.read(s, services.settings.data_dir, now - 100 * DAY)
        bad.snapshot_path = "../precious.txt"
        young = [f.read(s, services.settings.data_dir, now - a * DAY).id for a in range(3)]
    result = make_executor(services).run(RunOptions())
    assert result.status == "failed"
    assert any("outside data_dir" in e for e in result.errors)
    assert outside.read_text() == "keep me"
    assert _ids(services, PlateRead) == {bad.id, *young}  # the row still names its file
