"""Signs audit checkpoints inside the server: every N minutes and after each retention run."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rtcc.audit_anchor import Anchor, Checkpoint
from rtcc.clock import Clock
from rtcc.db import transaction
from rtcc.errors import RtccError
from rtcc.periodic import PeriodicJob

log = logging.getLogger(__name__)


def make_checkpoint(
    *,
    sessions: sessionmaker[Session],
    anchor: Anchor,
    clock: Clock,
    reason: str,
    skip_if_idle: bool = False,
) -> Checkpoint | None:
    """One checkpoint in its own transaction; a broken chain is logged, never signed."""
    try:
        with transaction(sessions) as session:
            cp = anchor.checkpoint(
                session, now=clock.now(), reason=reason, skip_if_idle=skip_if_idle
            )
    except RtccError as exc:
        log.error("audit checkpoint refused: %s", exc.message)
        return None
    if cp is not None:
        log.info("audit checkpoint %s: row %s (%s)", cp.seq, cp.row_id, reason)
    return cp


class AfterRetention:
    """The retention executor's ``after_run`` hook: a checkpoint after every real run."""

    def __init__(self, *, sessions: sessionmaker[Session], anchor: Anchor, clock: Clock) -> None:
        self.sessions, self.anchor, self.clock = sessions, anchor, clock

    def __call__(self, result: Any) -> None:
        make_checkpoint(
            sessions=self.sessions, anchor=self.anchor, clock=self.clock, reason="retention"
        )


class CheckpointScheduler(PeriodicJob):
    """Signs the head every ``interval_s`` (skipped when nothing was appended since the last
    checkpoint)."""

    def __init__(
        self, *, sessions: sessionmaker[Session], anchor: Anchor, clock: Clock, interval_s: float
    ) -> None:
        self.sessions, self.anchor, self.clock = sessions, anchor, clock
        super().__init__(name="audit-anchor", interval_s=interval_s)

    def run_once(self) -> Checkpoint | None:
        try:
            return make_checkpoint(
                sessions=self.sessions,
                anchor=self.anchor,
                clock=self.clock,
                reason="scheduled",
                skip_if_idle=True,
            )
        except Exception:  # noqa: BLE001 - the server outlives a failed checkpoint; logged
            log.exception("audit checkpoint failed")
            return None
