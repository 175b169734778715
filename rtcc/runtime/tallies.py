"""Closes finished UTC days into the usage tallies inside the server (``rtcc.usage_tally``).

Each run closes every finished day not yet closed and recomputes the recent days that no
retention class can have touched yet (so a hit confirmed two days later is counted as
confirmed). The retention executor also closes the days it is about to purge, so a report never
depends on this thread having run. A pass holds the retention run lock, so it never writes the
same day as a retention run at the same time (it waits for the next interval instead).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from retention.executor import run_lock
from rtcc import usage_tally
from rtcc.clock import Clock
from rtcc.config import RetentionSettings
from rtcc.db import transaction
from rtcc.errors import RtccError
from rtcc.periodic import PeriodicJob

log = logging.getLogger(__name__)
INTERVAL_S = 3600.0
FIRST_DELAY_S = 5.0


def close_finished_days(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    retention: RetentionSettings,
    data_dir: Path,
) -> list[date]:
    """One pass in one transaction, under the retention run lock; returns the days written.
    Raises ``ConflictError`` while a retention run is in progress."""
    with run_lock(data_dir):
        now = clock.now()
        today = usage_tally.day_of(now)
        refresh = usage_tally.safe_refresh_days(retention)
        with transaction(sessions) as session:
            return usage_tally.close_days(
                session,
                until=today,
                now=now,
                refresh_from=today - timedelta(days=refresh) if refresh else None,
            )


class TallyScheduler(PeriodicJob):
    """Closes days every ``interval_s``."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        retention: RetentionSettings,
        data_dir: Path,
        interval_s: float = INTERVAL_S,
        first_delay_s: float = FIRST_DELAY_S,
    ) -> None:
        self.sessions, self.clock, self.retention = sessions, clock, retention
        self.data_dir = data_dir
        super().__init__(name="usage-tally", interval_s=interval_s, first_delay_s=first_delay_s)

    def run_once(self) -> list[date]:
        try:
            days = close_finished_days(
                sessions=self.sessions,
                clock=self.clock,
                retention=self.retention,
                data_dir=self.data_dir,
            )
        except RtccError as exc:  # a retention run holds the lock (and closes its days itself)
            log.info("usage tallies deferred: %s", exc.message)
            return []
        except Exception:  # noqa: BLE001 - the server outlives a failed pass; retried next time
            log.exception("closing usage tallies failed")
            return []
        if days:
            log.info("usage tallies: %d day(s) closed, %s .. %s", len(days), days[0], days[-1])
        return days
