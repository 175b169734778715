"""The in-server retention schedule, wired: an audit checkpoint after each real run, and a
``retention_refused`` system alert when a scheduled run is refused (cleared by the next run that
completes), so operators learn of it without reading the audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from retention.executor import RunResult
from retention.scheduler import RetentionScheduler
from rtcc.audit_anchor import Anchor
from rtcc.clock import Clock
from rtcc.events import EventBus, SystemAlertEvent
from rtcc.runtime.anchoring import AfterRetention
from rtcc.runtime.services import Services
from rtcc.vocab import AlertSeverity, SystemAlertKind

log = logging.getLogger(__name__)


class RetentionAlerts:
    """The scheduler's ``on_refused`` hook and part of its ``after_run`` hook."""

    def __init__(self, *, bus: EventBus, clock: Clock) -> None:
        self.bus, self.clock = bus, clock
        self.since: datetime | None = None  # the first refusal of the current streak

    def refused(self, reasons: list[str]) -> None:
        self.since = self.since or self.clock.now()
        self._publish(active=True, message="scheduled retention refused: " + "; ".join(reasons))

    def ran(self, result: RunResult) -> None:
        """A run that completed clears a standing alert."""
        if result.status == "ok" and self.since is not None:
            self.since = None
            self._publish(active=False, message="scheduled retention ran again")

    def _publish(self, *, active: bool, message: str) -> None:
        self.bus.publish(
            SystemAlertEvent(
                kind=SystemAlertKind.RETENTION_REFUSED,
                severity=AlertSeverity.WARNING,
                active=active,
                message=message,
                since=self.since if self.since is not None else self.clock.now(),
            )
        )


def build_retention(services: Services, *, anchor: Anchor | None) -> RetentionScheduler:
    """The scheduler the runtime starts (not started here)."""
    s = services
    alerts = RetentionAlerts(bus=s.bus, clock=s.clock)
    checkpoint = (
        None
        if anchor is None
        else AfterRetention(sessions=s.sessions, anchor=anchor, clock=s.clock)
    )

    def after_run(result: RunResult) -> None:
        if checkpoint is not None:
            checkpoint(result)
        alerts.ran(result)

    return RetentionScheduler(
        sessions=s.sessions,
        settings=s.settings.retention,
        data_dir=s.settings.data_dir,
        clock=s.clock,
        after_run=after_run,
        on_refused=alerts.refused,
    )
