"""Daily usage tallies keep the transparency report whole after retention purges the rows it
counts, on both databases: figures equal direct counts, stay the same after a retention run 90+
days later, closing a day again gives the same rows, and the tallies hold no personal data."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, inspect, select, text, update
from sqlalchemy.orm import Session

from retention.executor import Executor, RunOptions, run_lock
from rtcc import usage_tally
from rtcc.clock import FakeClock
from rtcc.config import RetentionSettings
from rtcc.models import AuditEvent, Hit, LegalHold, PlateRead, UsageTally, UTCDateTime
from rtcc.runtime.services import Services
from rtcc.runtime.tallies import TallyScheduler
from rtcc.transparency.report import build
from tests.support import retention_data as factories
from tests.support.activity_year import END, START, YEAR, fill_year

AFTER_RETENTION = END + timedelta(days=100)  # every 2025 read, hit, segment, status is expired


def _direct(session: Session, statement: str) -> list[Any]:
    stmt = text(statement).bindparams(bindparam("s", type_=UTCDateTime()),
                                      bindparam("e", type_=UTCDateTime()))
    return list(session.execute(stmt, {"s": START, "e": END}).all())


def _year_values(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every figure counted over the year (not the instant ones such as retention state)."""
    window = {"start": START.isoformat(), "end": END.isoformat()}
    return {t["technology"]: {k: v["value"] for k, v in t["figures"].items()
                              if v["window"] == window} for t in report["technologies"]}


def _report(services: Services) -> dict[str, Any]:
    with services.sessions() as s:
        return build(s, year=YEAR, settings=services.settings, now=services.clock.now())


def _executor(services: Services) -> Executor:
    return Executor(sessions=services.sessions, settings=services.settings.retention,
                    data_dir=services.settings.data_dir, clock=services.clock)


def _release_holds(services: Services) -> None:
    """The synthetic holds cover whole classes; release them so retention deletes the year."""
    with services.sessions() as s:
        s.execute(update(LegalHold).values(released_at=START))
        s.commit()


@pytest.fixture
def year(services: Services) -> Services:
    with services.sessions() as s:
        fill_year(s, services.settings.data_dir)
        s.commit()
    _release_holds(services)
    return services


def _assert_equals_direct_counts(services: Services, values: dict[str, dict[str, Any]]) -> None:
    lpr, video = values["lpr"], values["video"]
    with services.sessions() as s:
        w = "observed_at >= :s AND observed_at < :e"
        assert lpr["reads"] == _direct(s, f"SELECT count(*) FROM plate_read WHERE {w}")[0][0]
        statuses = dict(_direct(s, f"SELECT status, count(*) FROM hit WHERE {w} GROUP BY 1"))
        assert lpr["hits"] == sum(statuses.values()) > 20
        assert lpr["confirmed"] == statuses.get("confirmed", 0)
        assert lpr["unhandled"] == statuses.get("new", 0)
        searches = _direct(s, "SELECT count(*) FROM audit_event WHERE action = 'reads.search' "
                              "AND outcome = 'success' AND at >= :s AND at < :e")[0][0]
        assert lpr["searches"] == searches > 50
        assert video["segments"] == _direct(
            s, "SELECT count(*) FROM video_segment WHERE start_at >= :s AND start_at < :e")[0][0]
    assert lpr["reads"] > 300


def test_figures_survive_a_retention_run(year: Services) -> None:
    """Runtime job closes the days; retention 100 days after the year purges the rows; the
    report's year figures are exactly what they were while the rows existed."""
    clock = year.clock
    assert isinstance(clock, FakeClock)
    before = _year_values(_report(year))  # no tallies yet: all live counts
    _assert_equals_direct_counts(year, before)
    scheduler = TallyScheduler(sessions=year.sessions, clock=clock,
                               retention=year.settings.retention,
                               data_dir=year.settings.data_dir)
    closed = scheduler.run_once()
    assert closed[0] <= START.date() and closed[-1] == clock.now().date() - timedelta(days=1)
    assert _year_values(_report(year)) == before  # tallies for closed days == live counts
    clock.set(AFTER_RETENTION)
    result = _executor(year).run(RunOptions(force=True))
    assert result.status == "ok", result.errors
    assert result.deleted_rows["plate_reads"] > 300 and result.deleted_rows["hits"] > 20
    with year.sessions() as s:
        assert s.scalar(select(PlateRead.id).where(PlateRead.observed_at < END)) is None
        assert s.scalar(select(Hit.id).where(Hit.observed_at < END)) is None
    after = _year_values(_report(year))
    assert after == before
    assert after["video"]["camera_uptime"] == before["video"]["camera_uptime"] is not None


def test_retention_tallies_days_before_deleting_them(year: Services) -> None:
    """No runtime job ran: the executor itself closes every day it is about to purge."""
    before = _year_values(_report(year))
    year.clock.set(AFTER_RETENTION)  # type: ignore[attr-defined]
    with year.sessions() as s:
        assert s.scalar(select(UsageTally.id)) is None
    result = _executor(year).run(RunOptions(force=True))
    assert result.status == "ok", result.errors
    cutoff_day = datetime.fromisoformat(max(result.cutoffs.values())).date()
    with year.sessions() as s:
        closed = usage_tally.closed_days(s, date(2000, 1, 1), cutoff_day + timedelta(days=1))
        assert max(closed) == cutoff_day and START.date() in closed
        assert s.scalar(select(PlateRead.id).where(PlateRead.observed_at < END)) is None
    assert _year_values(_report(year)) == before


def test_retention_deletes_nothing_when_tallying_fails(
    year: Services, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> list[date]:
        raise RuntimeError("tally store unavailable")

    monkeypatch.setattr(usage_tally, "close_before", broken)
    year.clock.set(AFTER_RETENTION)  # type: ignore[attr-defined]
    with year.sessions() as s:
        reads = s.scalar(select(text("count(*)")).select_from(PlateRead))
    with pytest.raises(RuntimeError, match="tally store"):
        _executor(year).run(RunOptions(force=True))
    with year.sessions() as s:
        assert s.scalar(select(text("count(*)")).select_from(PlateRead)) == reads


def _rows(session: Session, day: date) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in session.execute(
        select(UsageTally.day, UsageTally.technology, UsageTally.metric, UsageTally.key,
               UsageTally.count).where(UsageTally.day == day)
        .order_by(UsageTally.technology, UsageTally.metric, UsageTally.key))]


def test_closing_a_day_again_gives_the_same_rows(year: Services) -> None:
    now = year.clock.now()
    busy = date(YEAR, 6, 1)
    with year.sessions() as s:
        usage_tally.close_days(s, until=date(YEAR, 7, 1), now=now)
        s.commit()
        first = _rows(s, busy)
        assert ("all", "day_closed", "", 1) in [r[1:] for r in first] and len(first) > 3
        assert usage_tally.close_days(s, until=date(YEAR, 7, 1), now=now) == []  # nothing new
        usage_tally.close_day(s, busy, now=now + timedelta(hours=1))
        usage_tally.close_days(s, until=date(YEAR, 7, 1), now=now, refresh_from=date(YEAR, 5, 1))
        s.commit()
        assert _rows(s, busy) == first
        per_day = s.execute(select(UsageTally.day, UsageTally.technology, UsageTally.metric,
                                   UsageTally.key, text("count(*)"))
                            .group_by(UsageTally.day, UsageTally.technology, UsageTally.metric,
                                      UsageTally.key).having(text("count(*) > 1"))).all()
        assert per_day == []
        with pytest.raises(ValueError, match="not finished"):
            usage_tally.close_day(s, now.date(), now=now)


def test_open_tail_is_live_and_recent_days_are_recomputed(services: Services) -> None:
    """Today's reads count live; a hit confirmed after its day closed is counted once the
    runtime job recomputes the recent days (rows retention cannot have touched yet)."""
    clock = services.clock
    assert isinstance(clock, FakeClock)
    now = clock.now()
    yesterday = now - timedelta(days=1)
    with services.sessions() as s:
        read = factories.read(s, services.settings.data_dir, yesterday, files=False)
        factories.hit(s, read)
        s.commit()
    scheduler = TallyScheduler(sessions=services.sessions, clock=clock,
                               retention=services.settings.retention,
                               data_dir=services.settings.data_dir)
    assert scheduler.run_once()[-1] == yesterday.date()
    with services.sessions() as s:
        factories.read(s, services.settings.data_dir, now - timedelta(minutes=5), files=False)
        s.execute(update(Hit).values(status="confirmed"))
        s.commit()
    lpr = _lpr_now(services)
    assert lpr["reads"] == 2  # yesterday from its tally, today live
    assert (lpr["hits"], lpr["confirmed"]) == (1, 0)  # the tally was made before the decision
    scheduler.run_once()
    assert _lpr_now(services)["confirmed"] == 1


def test_old_days_are_never_recomputed_and_a_retention_run_defers_the_job(
    services: Services,
) -> None:
    """Days older than the shortest retention period may have lost rows: the job leaves their
    tallies alone. While a retention run holds its lock the job waits for the next pass."""
    clock = services.clock
    assert isinstance(clock, FakeClock)
    old = clock.now() - timedelta(days=services.settings.retention.video_days + 10)
    with services.sessions() as s:
        factories.hit(s, factories.read(s, services.settings.data_dir, old, files=False))
        s.commit()
    scheduler = TallyScheduler(sessions=services.sessions, clock=clock,
                               retention=services.settings.retention,
                               data_dir=services.settings.data_dir)
    with run_lock(services.settings.data_dir):
        assert scheduler.run_once() == []
    with services.sessions() as s:
        assert s.scalar(select(UsageTally.id)) is None
    assert old.date() in scheduler.run_once()
    with services.sessions() as s:
        s.execute(update(Hit).values(status="confirmed"))
        s.commit()
    assert old.date() not in scheduler.run_once()
    assert _lpr_now(services)["confirmed"] == 0  # frozen at the tally, as after a purge


def _lpr_now(services: Services) -> dict[str, Any]:
    now = services.clock.now()
    with services.sessions() as s:
        report = build(s, year=now.year, settings=services.settings, now=now)
    return {k: v["value"] for k, v in report["technologies"][0]["figures"].items()}


PLATE = re.compile(r"^[A-Z]{0,3}\d{3,}$|^P\d{5}$|^M\d{4}$")


def test_tallies_hold_no_plate_or_username(year: Services) -> None:
    with year.sessions() as s:
        usage_tally.close_days(s, until=END.date(), now=year.clock.now())
        s.commit()
        columns = {c["name"] for c in inspect(s.get_bind()).get_columns("usage_tally")}
        assert columns == {"id", "day", "technology", "metric", "key", "count", "computed_at"}
        plates = set(s.scalars(select(PlateRead.plate))) | set(s.scalars(select(Hit.plate)))
        users = {u for u in s.scalars(select(AuditEvent.username)) if u}
        assert plates and users
        keys = set(s.scalars(select(UsageTally.key)))
        metrics = set(s.scalars(select(UsageTally.metric)))
        assert {"north", "south", "unassigned"} <= keys and "investigation" in keys
    for value in keys | metrics:
        assert value not in plates and value not in users, value
        assert not PLATE.match(value), value
        assert not any(u in value for u in users), value


def test_runtime_runs_the_tally_job_beside_retention(sqlite_services: Services) -> None:
    from rtcc.runtime.runtime import Runtime

    rt = Runtime(sqlite_services, cameras=False)
    rt.start()
    try:
        assert rt.tallies is not None and rt.tallies._thread is not None
        assert rt.tallies._thread.is_alive()
        assert rt.tallies.first_delay_s == sqlite_services.settings.retention.first_run_delay_s
    finally:
        rt.stop()
    assert rt.tallies._thread is None


@pytest.mark.parametrize(("space", "days"), [
    ({}, 29),  # the shortest period (video, 30 days) less one
    ({"below_mb": 100}, 0),  # video may go for space after keep_hours (24): recompute nothing
    ({"below_mb": 100, "keep_hours": 72}, 2),
])
def test_recent_days_recomputed_only_where_no_video_can_have_gone_for_space(
    space: dict[str, Any], days: int
) -> None:
    settings = RetentionSettings.model_validate({"video_free_space": space})
    assert usage_tally.safe_refresh_days(settings) == days
