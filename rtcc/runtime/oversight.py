"""Oversight in the background, every few minutes: the previous month's search sample once it
has ended, the search volume check, and reminders to owners of expiring manual hotlist entries."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from hotlist import governance
from rtcc.audit import SYSTEM
from rtcc.clock import Clock
from rtcc.config import OversightSettings
from rtcc.db import transaction
from rtcc.errors import RtccError
from rtcc.oversight import review, volume
from rtcc.periodic import PeriodicJob

log = logging.getLogger(__name__)


class OversightScheduler(PeriodicJob):
    """The auditor's monthly sample, volume alerts and expiry reminders, every
    ``settings.check_interval_minutes``."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: OversightSettings,
        clock: Clock,
        rng: random.Random | None = None,
        remind_within: timedelta | None = None,
    ) -> None:
        self.sessions, self.settings, self.clock = sessions, settings, clock
        self.remind_within = remind_within
        self.rng = rng or random.SystemRandom()
        super().__init__(name="oversight", interval_s=settings.check_interval_minutes * 60)

    def run_once(self) -> None:
        """Sample last month if not yet sampled; raise today's volume alerts."""
        now = self.clock.now()
        try:
            with transaction(self.sessions) as session:
                month = review.previous_month(now)
                if not review.sample_of(session, month=month):
                    rows = review.draw_sample(
                        session,
                        month=month,
                        now=now,
                        rng=self.rng,
                        size=self.settings.monthly_sample_size,
                        actor=SYSTEM,
                    )
                    log.info("oversight: %d search(es) of %s sampled for review", len(rows), month)
            with transaction(self.sessions) as session:
                for alert in volume.check(session, now=now, settings=self.settings):
                    log.warning(
                        "oversight: unusual search volume by %s: %d today (baseline %s)",
                        alert.username,
                        alert.searches,
                        alert.baseline,
                    )
            if self.remind_within is not None:
                with transaction(self.sessions) as session:
                    for entry in governance.remind(session, now=now, within=self.remind_within):
                        log.info(
                            "hotlist entry %s of %s expires %s: owner reminded",
                            entry.id,
                            entry.owner,
                            entry.expires_at,
                        )
        except RtccError as exc:
            log.warning("oversight check refused: %s", exc.message)
        except Exception:  # noqa: BLE001 - the server outlives a failed check; logged
            log.exception("oversight check failed")
