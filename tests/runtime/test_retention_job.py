"""A refused scheduled retention run is a live ``retention_refused`` alert with the reason, and
the next run that completes clears it (issue 14). The real scheduler as the runtime builds it,
on both databases, watched through a bus subscription."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from retention.executor import Executor, RunOptions
from rtcc.clock import FakeClock
from rtcc.db import transaction
from rtcc.events import SyncSubscription, SystemAlertEvent
from rtcc.runtime.retention_job import build_retention
from rtcc.runtime.services import Services, build_services
from tests.support import retention_data as f

DAY = timedelta(days=1)


@pytest.fixture
def svc(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Services]:
    """A 30-day read policy over reads 0..175 days old: 6 of 8 expired at once (no earlier run
    explains it by time), so the first scheduled run is refused."""
    services = build_services(
        make_settings(database={"url": db_url}, retention={"plate_reads_days": 30}), clock=clock
    )
    now = clock.now()
    with transaction(services.sessions) as s:
        for age in range(0, 200, 25):
            f.read(s, services.settings.data_dir, now - age * DAY)
    try:
        yield services
    finally:
        services.engine.dispose()


def _alerts(sub: SyncSubscription) -> list[SystemAlertEvent]:
    got: list[SystemAlertEvent] = []
    while True:
        try:
            event = sub.get(timeout=0)
        except queue.Empty:
            return got
        if isinstance(event, SystemAlertEvent):
            got.append(event)


def test_a_refused_scheduled_run_is_alerted_live_and_cleared_by_the_next_run(
    svc: Services, clock: FakeClock
) -> None:
    sub = svc.bus.subscribe()
    scheduler = build_retention(svc, anchor=None)
    refused_at = clock.now()
    scheduler.run_once()
    [alert] = _alerts(sub)
    assert alert.kind == "retention_refused" and alert.severity == "warning" and alert.active
    assert alert.since == refused_at
    assert "plate_reads" in alert.message and "refusing to delete 6 of 8" in alert.message

    clock.advance(hours=1)
    scheduler.run_once()  # still refused: the alert stands, since the first refusal
    [again] = _alerts(sub)
    assert again.active and again.since == refused_at

    # An operator looks and forces the purge; the next scheduled run completes.
    Executor(
        sessions=svc.sessions,
        settings=svc.settings.retention,
        data_dir=svc.settings.data_dir,
        clock=svc.clock,
    ).run(RunOptions(force=True))
    clock.advance(hours=1)
    scheduler.run_once()
    [cleared] = _alerts(sub)
    assert cleared.kind == "retention_refused" and not cleared.active
    assert cleared.since == clock.now()
