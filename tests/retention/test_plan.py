"""The pure plan at its exact boundaries: periods, seconds, time zones, DST, holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retention.plan import Candidate, FreeSpaceRule, Hold, Policy, plan, plan_free_space

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(video=30, plate_reads=90, hit_reads=180, hits=180)
S = timedelta(seconds=1)


def video(i: int, at: datetime) -> Candidate:
    return Candidate("video", i, at, camera_id="cam1", files=(f"video/{i}.mp4",))


def read(i: int, at: datetime, *, plate: str = "ABC123", hits: tuple[int, ...] = ()) -> Candidate:
    return Candidate("plate_reads", i, at, camera_id="cam1", plate=plate, hit_ids=hits)


@pytest.mark.parametrize(
    ("age", "deleted"),
    [(timedelta(days=30) - S, False), (timedelta(days=30), False), (timedelta(days=30) + S, True)],
)
def test_video_boundary_is_exactly_30_days(age: timedelta, deleted: bool) -> None:
    result = plan(NOW, POLICY, [], [video(1, NOW - age)])
    assert bool(result.delete) is deleted
    assert result.kept == (0 if deleted else 1)


@pytest.mark.parametrize(
    ("age", "deleted"),
    [(timedelta(days=90) - S, False), (timedelta(days=90), False), (timedelta(days=90) + S, True)],
)
def test_read_boundary_is_exactly_90_days(age: timedelta, deleted: bool) -> None:
    assert bool(plan(NOW, POLICY, [], [read(1, NOW - age)]).delete) is deleted


def test_read_with_hit_follows_hit_period() -> None:
    at = NOW - timedelta(days=120)
    result = plan(NOW, POLICY, [], [read(1, at), read(2, at, hits=(7,))])
    assert result.delete_ids("plate_reads") == [1]
    assert plan(NOW, POLICY, [], [read(3, NOW - timedelta(days=180) - S, hits=(7,))]).delete


def test_time_zones_do_not_shift_the_cutoff() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    now_tokyo = NOW.astimezone(tokyo)
    item_at = (NOW - timedelta(days=30)).astimezone(ZoneInfo("America/Los_Angeles"))
    assert not plan(now_tokyo, POLICY, [], [video(1, item_at)]).delete
    assert plan(now_tokyo, POLICY, [], [video(1, item_at - S)]).delete


@pytest.mark.parametrize(
    "now_local",
    [
        datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("America/New_York")),  # spring forward
        datetime(2026, 11, 1, 12, 0, tzinfo=ZoneInfo("America/New_York")),  # fall back
        datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/London")),  # just after the jump
    ],
)
def test_dst_days_count_24_hour_days(now_local: datetime) -> None:
    # 30 days are 720 hours, whatever the wall clock did in between (local wall-clock
    # arithmetic, now_local - timedelta(days=30), would be 719 or 721 hours on these days)
    utc_exact = now_local.astimezone(UTC) - timedelta(hours=720)
    assert not plan(now_local, POLICY, [], [video(1, utc_exact)]).delete
    assert plan(now_local, POLICY, [], [video(2, utc_exact - S)]).delete


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(NOW.replace(tzinfo=None), POLICY, [], [])
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(NOW, POLICY, [], [video(1, datetime(2025, 1, 1))])


def test_audit_shorter_than_a_year_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 365"):
        Policy(audit=364)


OLD = NOW - timedelta(days=200)


def hold(**kw: object) -> Hold:
    base: dict[str, object] = {"id": 1, "case_number": "C-1", "data_class": "plate_reads"}
    base.update(kw)
    return Hold(**base)  # type: ignore[arg-type]


def test_hold_by_ids_keeps_only_those_items() -> None:
    result = plan(NOW, POLICY, [hold(item_ids=frozenset({2}))], [read(1, OLD), read(2, OLD)])
    assert result.delete_ids("plate_reads") == [1]
    assert result.held == {2: (1,)}


def test_hold_by_plate_and_range_is_inclusive() -> None:
    h = hold(plate="XYZ9", start_at=OLD, end_at=OLD + timedelta(hours=1))
    items = [
        read(1, OLD, plate="XYZ9"),
        read(2, OLD + timedelta(hours=1), plate="XYZ9"),
        read(3, OLD + timedelta(hours=1) + S, plate="XYZ9"),
        read(4, OLD - S, plate="XYZ9"),
        read(5, OLD, plate="OTHER"),
    ]
    assert plan(NOW, POLICY, [h], items).delete_ids("plate_reads") == [3, 4, 5]


def test_hold_by_camera_and_range_on_video() -> None:
    h = hold(data_class="video", camera_id="cam1", start_at=OLD, end_at=NOW)
    other = Candidate("video", 2, OLD, camera_id="cam2")
    result = plan(NOW, POLICY, [h], [video(1, OLD), other, read(3, OLD)])
    assert [c.id for c in result.delete] == [2, 3]  # a video hold does not hold reads


def test_expired_and_released_holds_no_longer_protect() -> None:
    expired = hold(expires_at=NOW, item_ids=frozenset({1}))
    still = hold(id=2, expires_at=NOW + S, item_ids=frozenset({2}))
    released = hold(id=3, released_at=NOW - S, item_ids=frozenset({3}))
    items = [read(1, OLD), read(2, OLD), read(3, OLD)]
    assert plan(NOW, POLICY, [expired, still, released], items).delete_ids("plate_reads") == [1, 3]


def test_hold_on_a_hit_keeps_the_hit_and_its_read() -> None:
    h = hold(data_class="hits", item_ids=frozenset({7}))
    hit = Candidate("hits", 7, OLD, camera_id="cam1", plate="ABC123")
    items = [hit, read(1, OLD, hits=(7,)), read(2, OLD, hits=(8,))]
    result = plan(NOW, POLICY, [h], items)
    assert [c.id for c in result.delete] == [2]
    assert set(result.held) == {7, 1}


def test_camera_status_is_never_held() -> None:
    st = Candidate("camera_status", 1, OLD, camera_id="cam1")
    assert plan(NOW, POLICY, [hold(data_class="all", camera_id="cam1")], [st]).delete


# --- free space: the oldest video first ------------------------------------------------------

MB = 1024 * 1024
RULE = FreeSpaceRule(below=100 * MB, target=150 * MB, keep=timedelta(hours=24))


def sized(i: int, at: datetime, size: int = 10 * MB) -> Candidate:
    return Candidate("video", i, at, camera_id="cam1", files=(f"video/{i}.mp4",), size=size)


@pytest.mark.parametrize(
    ("free", "to_free"),
    [(100 * MB, 0), (100 * MB - 1, 50 * MB + 1), (0, 150 * MB), (500 * MB, 0)],
)
def test_free_space_starts_strictly_below_the_threshold_and_aims_at_the_target(
    free: int, to_free: int
) -> None:
    assert RULE.to_free(free) == to_free


def test_free_space_rule_refuses_a_target_below_the_threshold() -> None:
    with pytest.raises(ValueError, match="below <= target"):
        FreeSpaceRule(below=10, target=9, keep=timedelta(0))


def test_free_space_takes_the_oldest_first_until_the_need_is_met() -> None:
    items = [sized(i, NOW - timedelta(days=10 - i)) for i in range(6)]  # ids 0 (oldest) .. 5
    decided = plan_free_space(NOW, RULE, [], reversed(items), need=25 * MB)
    assert [c.id for c in decided.delete] == [0, 1, 2]  # 30 MB >= 25 MB, no more
    assert (decided.freed, decided.still_needed) == (30 * MB, 0)
    assert decided.last is not None and decided.last.id == 2
    short = plan_free_space(NOW, RULE, [], items, need=100 * MB)
    assert len(short.delete) == 6 and short.still_needed == 40 * MB
    assert plan_free_space(NOW, RULE, [], items, need=0).delete == ()


def test_free_space_ties_on_end_time_go_by_id() -> None:
    at = NOW - timedelta(days=3)
    decided = plan_free_space(NOW, RULE, [], [sized(9, at), sized(4, at)], need=1)
    assert [c.id for c in decided.delete] == [4]


@pytest.mark.parametrize(
    ("age", "deleted"),
    [
        (timedelta(hours=24) - S, False),
        (timedelta(hours=24), False),
        (timedelta(hours=24) + S, True),
    ],
)
def test_free_space_never_takes_a_segment_that_ended_within_keep(
    age: timedelta, deleted: bool
) -> None:
    decided = plan_free_space(NOW, RULE, [], [sized(1, NOW - age)], need=10 * MB)
    assert bool(decided.delete) is deleted


def test_free_space_skips_held_segments_and_takes_the_next_oldest() -> None:
    items = [sized(i, NOW - timedelta(days=10 - i)) for i in range(4)]
    hold = Hold(
        1,
        "2026-0042",
        "video",
        camera_id="cam1",
        start_at=NOW - timedelta(days=11),
        end_at=NOW - timedelta(days=8, hours=12),
        expires_at=NOW + timedelta(days=30),
    )
    released = Hold(2, "2026-0001", "all", released_at=NOW - S)
    decided = plan_free_space(NOW, RULE, [hold, released], items, need=20 * MB)
    assert [c.id for c in decided.delete] == [2, 3]  # 0 and 1 ended within the hold's range
    assert dict(decided.held) == {0: (1,), 1: (1,)}
    other = Hold(3, "2026-0002", "plate_reads", expires_at=NOW + timedelta(days=1))
    assert [c.id for c in plan_free_space(NOW, RULE, [other], items, need=1).delete] == [0]
