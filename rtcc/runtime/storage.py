"""Watches the data folder's free space and writability; tells operators when it degrades.

Every ``storage.check_interval_s`` (the first check at start) the folder is checked
(``rtcc.storage.check``). When it leaves the ok state a ``storage_degraded`` system alert is
published (warning while only under the free-space minimum, critical when full or not writable;
published again when that changes), and when it is back to ok the same alert with
``active: false``. On a camera node (``rtcc node``) the alert names the node (``origin``) and
reaches the consoles of every API instance over the bus. Recovery needs nobody: recordings
resume by themselves once space is free (``cameras.recorder``) and database writes simply
succeed again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from rtcc.clock import Clock
from rtcc.config import StorageSettings
from rtcc.events import EventBus, SystemAlertEvent
from rtcc.periodic import PeriodicJob
from rtcc.storage import MIB, StorageStatus, check
from rtcc.vocab import AlertSeverity, StorageState, SystemAlertKind

log = logging.getLogger(__name__)


def severity_of(state: StorageState) -> AlertSeverity:
    """Under the minimum is a warning; full or unwritable means writes are being lost."""
    return AlertSeverity.WARNING if state is StorageState.DEGRADED else AlertSeverity.CRITICAL


class StorageWatcher(PeriodicJob):
    """Publishes a ``storage_degraded`` alert on each change of the data folder's state."""

    def __init__(
        self,
        *,
        data_dir: Path,
        settings: StorageSettings,
        bus: EventBus,
        clock: Clock,
        origin: str | None = None,
    ) -> None:
        """``origin``: where the folder is, when not on the API host (``node n1``): the alert
        says so (its ``origin``, and the start of its message), so a console keeps one banner
        per place."""
        super().__init__(
            name="storage-watch", interval_s=settings.check_interval_s, first_delay_s=0.0
        )
        self.data_dir, self.bus, self.clock = data_dir, bus, clock
        self.min_free_bytes = settings.min_free_mb * MIB
        self.state = StorageState.OK  # as last announced
        self.since: datetime | None = None  # when the current degradation began
        self.origin = origin
        self.where = f"{origin}: " if origin else ""

    def run_once(self) -> StorageStatus:
        status = check(self.data_dir, min_free_bytes=self.min_free_bytes)
        if status.state is not self.state:
            self._announce(status)
        return status

    def _announce(self, status: StorageStatus) -> None:
        now = self.clock.now()
        if status.ok:
            log.info("%sstorage recovered: %s", self.where, status.detail)
            event = SystemAlertEvent(
                kind=SystemAlertKind.STORAGE_DEGRADED,
                severity=severity_of(self.state),
                active=False,
                message=f"{self.where}storage recovered: {status.detail}",
                since=now,
                origin=self.origin,
            )
        else:
            log.warning("%sstorage %s: %s", self.where, status.state, status.detail)
            event = SystemAlertEvent(
                kind=SystemAlertKind.STORAGE_DEGRADED,
                severity=severity_of(status.state),
                active=True,
                message=f"{self.where}storage {status.state}: {status.detail}",
                since=self.since or now,
                origin=self.origin,
            )
        self.bus.publish(event)  # a failure leaves the state as it was: announced next pass
        self.state = status.state
        self.since = None if status.ok else (self.since or now)
