"""Runs the retention job inside the server: first after a short delay, then every interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from retention.executor import Executor, RunOptions, RunResult
from rtcc.clock import Clock
from rtcc.config import RetentionSettings
from rtcc.errors import RtccError

log = logging.getLogger(__name__)


class RetentionScheduler:
    """A daemon thread; every loop waits on one stop event, so ``stop`` is immediate."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: RetentionSettings,
        data_dir: Path,
        clock: Clock,
        after_run: Callable[[RunResult], None] | None = None,
    ) -> None:
        self.executor = Executor(
            sessions=sessions, settings=settings, data_dir=data_dir, clock=clock,
            after_run=after_run,
        )
        self.settings = settings
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        delay = self.settings.first_run_delay_s
        while not self._stop.wait(delay):
            self.run_once()
            delay = self.settings.interval_s

    def run_once(self) -> None:
        try:
            result = self.executor.run(RunOptions())
            log.info("retention run %s: %s", result.run_id, result.status)
        except RtccError as exc:
            log.warning("retention run refused: %s", exc.message)
        except Exception:  # noqa: BLE001 - the server must outlive a failed run; it is recorded
            log.exception("retention run failed")
        self.runs += 1

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
