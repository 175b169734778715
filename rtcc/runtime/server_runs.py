"""The server's own run record: a ``server_run`` row at start, a heartbeat every
``HEARTBEAT_S`` and the stop time. Camera uptime counts only time a run covers; a stop or a
crash leaves a gap that shows as unknown (``cameras.uptime``)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from rtcc.clock import Clock
from rtcc.db import transaction
from rtcc.models import ServerRun

log = logging.getLogger(__name__)

HEARTBEAT_S = 30.0
# A run whose last heartbeat is older than this is taken to have ended at that heartbeat.
ALIVE_WITHIN = timedelta(seconds=3 * HEARTBEAT_S)


def record_start(session: Session, *, now: datetime) -> int:
    run = ServerRun(started_at=now, last_seen_at=now)
    session.add(run)
    session.flush()
    return run.id


def record_heartbeat(session: Session, *, run_id: int, now: datetime) -> None:
    run = session.get(ServerRun, run_id)
    if run is not None and run.stopped_at is None:
        run.last_seen_at = now


def record_stop(session: Session, *, run_id: int, now: datetime) -> None:
    run = session.get(ServerRun, run_id)
    if run is not None and run.stopped_at is None:
        run.last_seen_at = run.stopped_at = now


class ServerRunRecorder:
    """Start, heartbeat (a thread waiting on one stop event) and stop of this server's run."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock,
                 interval_s: float = HEARTBEAT_S) -> None:
        self.sessions, self.clock, self.interval_s = sessions, clock, interval_s
        self.run_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with transaction(self.sessions) as session:
            self.run_id = record_start(session, now=self.clock.now())
        self._thread = threading.Thread(target=self._beat, name="server-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                with transaction(self.sessions) as session:
                    assert self.run_id is not None
                    record_heartbeat(session, run_id=self.run_id, now=self.clock.now())
            except Exception:  # a database hiccup must not end the heartbeat
                log.exception("server heartbeat failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.run_id is not None:
            with transaction(self.sessions) as session:
                record_stop(session, run_id=self.run_id, now=self.clock.now())
