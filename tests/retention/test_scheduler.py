"""The in-server schedule: runs the job repeatedly and stops at once."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from retention.scheduler import RetentionScheduler
from rtcc.db import transaction
from rtcc.models import PlateRead, RetentionRun
from rtcc.runtime.services import Services
from tests.retention import factories as f

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
