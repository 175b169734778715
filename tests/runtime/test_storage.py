"""The storage watcher raises a ``storage_degraded`` alert when the data folder runs low, fills
up or turns read-only, and clears it when space is back, on a real small file system (issue 14)."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rtcc.clock import FakeClock
from rtcc.events import Event, SyncSubscription, SystemAlertEvent
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from rtcc.runtime.storage import StorageWatcher
from tests.support import tinyfs

MIN_FREE_MB = 8


@pytest.fixture
def tiny(make_settings: Any, clock: FakeClock) -> Iterator[tuple[Services, Path]]:
    """Data folder and SQLite database on a 48 MiB tmpfs (the watcher looks at the folder)."""
    with tinyfs.services_on_tmpfs(
        "sqlite", make_settings, clock, storage={"min_free_mb": MIN_FREE_MB}
    ) as started:
        yield started


def _watcher(svc: Services) -> StorageWatcher:
    return StorageWatcher(
        data_dir=svc.settings.data_dir, settings=svc.settings.storage, bus=svc.bus, clock=svc.clock
    )


def _alerts(sub: SyncSubscription) -> list[SystemAlertEvent]:
    got: list[Event] = []
    while True:
        try:
            got.append(sub.get(timeout=0))
        except queue.Empty:
            return [e for e in got if isinstance(e, SystemAlertEvent)]


def test_alert_raised_when_low_escalated_when_full_and_cleared_when_freed(
    tiny: tuple[Services, Path], clock: FakeClock
) -> None:
    svc, mount = tiny
    sub = svc.bus.subscribe()
    watcher = _watcher(svc)
    assert watcher.run_once().ok and _alerts(sub) == []  # nothing to say while all is well

    began = clock.now()
    low = tinyfs.fill(mount, leave_bytes=(MIN_FREE_MB // 2) << 20)
    watcher.run_once()
    [raised] = _alerts(sub)
    assert raised.kind == "storage_degraded" and raised.active and raised.severity == "warning"
    assert raised.since == began and "MiB minimum" in raised.message
    clock.advance(minutes=1)
    watcher.run_once()
    assert _alerts(sub) == []  # unchanged: not announced again

    full = tinyfs.fill(mount)
    watcher.run_once()
    [worse] = _alerts(sub)
    assert worse.active and worse.severity == "critical" and "full" in worse.message
    assert worse.since == began  # the same degradation, still since it began

    full.unlink()
    low.unlink()
    clock.advance(minutes=1)
    watcher.run_once()
    [cleared] = _alerts(sub)
    assert cleared.kind == "storage_degraded" and not cleared.active
    assert cleared.since == clock.now()


def test_a_read_only_data_folder_is_a_critical_alert(tiny: tuple[Services, Path]) -> None:
    svc, _ = tiny
    sub = svc.bus.subscribe()
    watcher = _watcher(svc)
    with tinyfs.read_only(svc.settings.data_dir):
        watcher.run_once()
    watcher.run_once()
    raised, cleared = _alerts(sub)
    assert raised.active and raised.severity == "critical" and "unwritable" in raised.message
    assert not cleared.active


def test_the_runtime_watches_storage_from_the_start(tiny: tuple[Services, Path]) -> None:
    svc, mount = tiny
    sub = svc.bus.subscribe()
    tinyfs.fill(mount, leave_bytes=(MIN_FREE_MB // 2) << 20)  # low, not full: it still starts
    rt = Runtime(svc, cameras=False)
    rt.start()
    try:
        alert = None
        while alert is None:  # the first check runs at start; other events may come first
            event = sub.get(timeout=10)
            alert = event if isinstance(event, SystemAlertEvent) else None
        assert alert.kind == "storage_degraded" and alert.active
    finally:
        rt.stop()
    assert not rt.storage.running
