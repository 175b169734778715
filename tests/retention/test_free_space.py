"""Freeing the oldest video first when the disk fills, on real databases (SQLite and PostgreSQL)
with real segment files; the free space is an injected figure, everything else is real."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from retention.executor import Executor, RunOptions
from retention.free_space import MIB
from retention.holds import create_hold
from rtcc.audit import SYSTEM, verify
from rtcc.config.sections import VideoFreeSpaceSettings
from rtcc.db import transaction
from rtcc.models import AuditEvent, VideoSegment
from rtcc.runtime.services import Services
from tests.support import retention_data as f

DAY = timedelta(days=1)
SEGMENT = 1000  # bytes of each factory segment


def _seed(services: Services) -> dict[int, int]:
    """A 1000-byte segment that ended 0..10 days ago (id -> age in days); the one of 8 days is
    under a legal hold."""
    now = services.clock.now()
    with transaction(services.sessions) as s:
        ages = {
            f.segment(s, services.settings.data_dir, now - age * DAY).id: age for age in range(11)
        }
        held = next(i for i, a in ages.items() if a == 8)
        create_hold(
            s,
            now=now,
            actor=SYSTEM,
            case_number="2026-0042",
            reason="robbery",
            data_class="video",
            item_ids=[held],
            expires_at=now + 30 * DAY,
        )
    return ages


def _executor(services: Services, free: int, **space: Any) -> Executor:
    settings = services.settings.retention.model_copy(
        update={"video_free_space": VideoFreeSpaceSettings(below_mb=1, **space)}
    )
    return Executor(
        sessions=services.sessions,
        settings=settings,
        data_dir=services.settings.data_dir,
        clock=services.clock,
        free=lambda path: free,
    )


def _left(services: Services) -> dict[int, Path]:
    with services.sessions() as s:
        rows = s.execute(select(VideoSegment.id, VideoSegment.path)).all()
    return {i: services.settings.data_dir / p for i, p in rows}


def _by_age(ages: dict[int, int], *wanted: int) -> set[int]:
    return {i for i, a in ages.items() if a in wanted}


def test_frees_the_oldest_unheld_video_until_the_target(services: Services) -> None:
    ages = _seed(services)
    before = _left(services)
    # 2,500 bytes short of 1 MiB: three segments go, oldest first, skipping the held one
    result = _executor(services, free=MIB - 2500).run(RunOptions())
    assert result.status == "ok", result.errors
    gone = _by_age(ages, 10, 9, 7)
    left = _left(services)
    assert set(left) == set(ages) - gone
    assert all(not before[i].exists() for i in gone) and all(p.exists() for p in left.values())
    assert result.deleted_rows["video_free_space"] == 3 and result.deleted_rows["video"] == 0
    assert result.deleted_bytes["video_free_space"] == 3 * SEGMENT
    assert result.skipped_held["video_free_space"] == 1
    space = result.as_dict()["free_space"]
    assert (space["needed_bytes"], space["freed_bytes"], space["short_bytes"]) == (2500, 3000, 0)
    now = services.clock.now()
    assert space["oldest_end_at"] == (now - 10 * DAY).isoformat()
    assert space["newest_end_at"] == (now - 7 * DAY).isoformat()
    with services.sessions() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.free_space")
        ).one()
        assert event.details["reason"] == "free space" and event.details["segments"] == 3
        assert event.target == f"retention_run:{result.run_id}"
        assert verify(s) is None


def test_nothing_happens_at_or_above_the_threshold_or_when_off(services: Services) -> None:
    ages = _seed(services)
    result = _executor(services, free=MIB).run(RunOptions())
    assert set(_left(services)) == set(ages) and result.deleted_rows["video_free_space"] == 0
    assert result.as_dict()["free_space"]["needed_bytes"] == 0
    off = Executor(
        sessions=services.sessions,
        settings=services.settings.retention,
        data_dir=services.settings.data_dir,
        clock=services.clock,
        free=lambda p: 0,
    )
    assert "free_space" not in off.run(RunOptions()).as_dict()
    assert set(_left(services)) == set(ages)


def test_dry_run_says_what_would_go_and_deletes_nothing(services: Services) -> None:
    ages = _seed(services)
    result = _executor(services, free=MIB - 1500).run(RunOptions(dry_run=True))
    assert result.deleted_rows["video_free_space"] == 2
    assert result.as_dict()["free_space"]["freed_bytes"] == 2 * SEGMENT
    assert set(_left(services)) == set(ages) and all(p.exists() for p in _left(services).values())
    with services.sessions() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert "retention.free_space" not in actions and "retention.dry_run" in actions


def test_the_safety_threshold_and_keep_hours_bound_a_full_disk(services: Services) -> None:
    ages = _seed(services)
    # Nothing free: every unheld segment older than a day would go (8 of 11, over the 50%
    # rail): the run deletes the 5 oldest allowed and is refused, so the schedule alerts.
    refused = _executor(services, free=0).run(RunOptions())
    assert refused.status == "refused" and "video_free_space: refusing" in refused.refusals[0]
    assert set(_left(services)) == set(ages) - _by_age(ages, 10, 9, 7, 6, 5)
    forced = _executor(services, free=0).run(RunOptions(force=True))
    assert forced.status == "ok", forced.errors
    # the segment that ended exactly keep_hours (24 h) ago stays, so does today's and the held
    assert set(_left(services)) == _by_age(ages, 0, 1, 8)
    assert forced.as_dict()["free_space"]["short_bytes"] > 0
    assert any("short of the target" in n for n in forced.notes)


@pytest.mark.parametrize("space", [{"target_mb": 0}, {"keep_hours": 1}, {"target_mb": 0.5}])
def test_settings_refuse_a_target_below_the_threshold_or_keeping_less_than_a_day(
    space: dict[str, Any],
) -> None:
    with pytest.raises(ValueError):
        VideoFreeSpaceSettings(below_mb=1, **space)
    with pytest.raises(ValueError, match="target_mb needs below_mb"):
        VideoFreeSpaceSettings(target_mb=5)
