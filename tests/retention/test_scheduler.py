"""The in-server schedule: runs the job repeatedly and stops at once."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from retention.scheduler import RetentionScheduler
from rtcc.db import transaction
from rtcc.models import AuditEvent, PlateRead, RetentionRun
from rtcc.runtime.services import Services
from tests.support import retention_data as f

DAY = timedelta(days=1)


def test_scheduler_runs_the_job_until_stopped(sqlite_services: Services) -> None:
    svc = sqlite_services
    now = svc.clock.now()
    with transaction(svc.sessions) as s:
        keep = [f.read(s, svc.settings.data_dir, now - a * DAY).id for a in range(3)]
        f.read(s, svc.settings.data_dir, now - 95 * DAY)
    settings = svc.settings.retention.model_copy(
        update={"first_run_delay_s": 0, "interval_s": 0.05}
    )
    sched = RetentionScheduler(
        sessions=svc.sessions, settings=settings, data_dir=svc.settings.data_dir, clock=svc.clock
    )
    sched.start()
    deadline = time.monotonic() + 30
    while sched.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    sched.stop()
    assert time.monotonic() - t0 < 5
    assert sched.runs >= 2
    with svc.sessions() as s:
        assert set(s.scalars(select(PlateRead.id))) == set(keep)
        statuses = set(s.scalars(select(RetentionRun.status)))
    assert statuses == {"ok"}


def test_runtime_starts_and_stops_the_scheduler(sqlite_services: Services) -> None:
    from rtcc.runtime.runtime import Runtime

    rt = Runtime(sqlite_services, cameras=False)
    rt.start()
    try:
        assert rt.retention is not None and rt.retention._thread is not None
        assert rt.retention._thread.is_alive()
    finally:
        rt.stop()
    assert rt.retention._thread is None


def _scheduler(svc: Services, **policy: int) -> tuple[RetentionScheduler, list[list[str]]]:
    alerts: list[list[str]] = []
    settings = svc.settings.retention.model_copy(update=policy)
    return RetentionScheduler(
        sessions=svc.sessions, settings=settings, data_dir=svc.settings.data_dir,
        clock=svc.clock, on_refused=alerts.append,
    ), alerts


def _reads_over_days(svc: Services, days: range) -> None:
    now = svc.clock.now()
    with transaction(svc.sessions) as s:
        for age in days:
            f.read(s, svc.settings.data_dir, now - age * DAY)


def test_scheduled_run_proceeds_when_time_explains_a_mass_expiry(services: Services) -> None:
    """After a long outage most reads are past the (unchanged) policy: the schedule must not
    stall until someone forces it (issue 14)."""
    svc = services
    _reads_over_days(svc, range(0, 80, 10))  # 8 reads, all within 90 days
    sched, alerts = _scheduler(svc, plate_reads_days=90)
    sched.run_once()
    svc.clock.advance(days=75)  # the outage: 6 of 8 reads are now older than 90 days
    sched.run_once()
    with svc.sessions() as s:
        runs = s.scalars(select(RetentionRun).order_by(RetentionRun.id)).all()
        assert [r.status for r in runs] == ["ok", "ok"]
        assert s.scalar(select(func.count()).select_from(PlateRead)) == 2
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run")
                        .order_by(AuditEvent.id.desc())).first()
        assert row is not None and row.details is not None
        assert "explained by time" in row.details["notes"][0]
    assert alerts == []


def test_a_shortened_policy_is_still_refused_and_alerted(services: Services) -> None:
    svc = services
    _reads_over_days(svc, range(0, 80, 10))
    sched, _ = _scheduler(svc, plate_reads_days=90)
    sched.run_once()
    svc.clock.advance(hours=1)
    shorter, alerts = _scheduler(svc, plate_reads_days=15)  # 6 of 8 would go at once
    shorter.run_once()
    svc.clock.advance(hours=1)
    shorter.run_once()  # still refused: the last successful run had the longer policy
    with svc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlateRead)) == 8
        statuses = list(s.scalars(select(RetentionRun.status).order_by(RetentionRun.id)))
        assert statuses == ["ok", "refused", "refused"]
        alert_rows = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "alert.retention_refused")).all()
        assert len(alert_rows) == 2 and alert_rows[0].outcome == "refused"
        assert "plate_reads" in alert_rows[0].details["reasons"][0]  # type: ignore[index]
    assert len(alerts) == 2 and "refusing to delete 6 of 8" in alerts[0][0]


def test_first_run_with_mostly_expired_data_is_refused(services: Services) -> None:
    """No earlier run to compare with: a mass expiry is not explained, the threshold holds."""
    svc = services
    _reads_over_days(svc, range(0, 200, 25))
    sched, alerts = _scheduler(svc, plate_reads_days=30)
    sched.run_once()
    with svc.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PlateRead)) == 8
    assert alerts and "re-run with --force" in alerts[0][0]
