"""Runs the retention job inside the server: first after a short delay, then every interval.

Scheduled runs pass ``scheduled=True``: an expiry over the safety threshold that time explains
(the oldest data past an unchanged policy, e.g. after an outage) proceeds instead of stalling
every run until someone forces it. A run that is still refused raises an alert: an
``alert.retention_refused`` audit event and the ``on_refused`` hook (the runtime's event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from retention.executor import Executor, RunOptions, RunResult
from rtcc import audit
from rtcc.audit import SYSTEM
from rtcc.clock import Clock
from rtcc.config import RetentionSettings
from rtcc.db import transaction
from rtcc.errors import RtccError
from rtcc.periodic import PeriodicJob

log = logging.getLogger(__name__)


class RetentionScheduler(PeriodicJob):
    """Runs the executor every ``settings.interval_s`` (first after ``first_run_delay_s``)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: RetentionSettings,
        data_dir: Path,
        clock: Clock,
        after_run: Callable[[RunResult], None] | None = None,
        on_refused: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.executor = Executor(
            sessions=sessions,
            settings=settings,
            data_dir=data_dir,
            clock=clock,
            after_run=after_run,
        )
        self.settings = settings
        self.sessions, self.clock, self.on_refused = sessions, clock, on_refused
        super().__init__(
            name="retention",
            interval_s=settings.interval_s,
            first_delay_s=settings.first_run_delay_s,
        )

    def run_once(self) -> None:
        try:
            result = self.executor.run(RunOptions(scheduled=True))
            log.info("retention run %s: %s", result.run_id, result.status)
            if result.refusals:
                self._alert(result.refusals, run_id=result.run_id)
        except RtccError as exc:
            log.warning("retention run refused: %s", exc.message)
            self._alert([exc.message], run_id=None)
        except Exception:  # noqa: BLE001 - the server must outlive a failed run; it is recorded
            log.exception("retention run failed")

    def _alert(self, reasons: list[str], *, run_id: int | None) -> None:
        """Refused: leave an alert in the audit trail and tell the operators (hook)."""
        log.warning("retention run refused (%d class(es)): %s", len(reasons), "; ".join(reasons))
        try:
            with transaction(self.sessions) as s:
                audit.record(
                    s,
                    now=self.clock.now(),
                    actor=SYSTEM,
                    action="alert.retention_refused",
                    outcome="refused",
                    target=f"retention_run:{run_id}" if run_id else None,
                    details={"reasons": reasons},
                )
            if self.on_refused is not None:
                self.on_refused(reasons)
        except Exception:  # noqa: BLE001 - the alert must not stop the schedule
            log.exception("could not record the retention alert")
