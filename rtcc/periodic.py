"""A job run on a daemon thread at a fixed interval (retention, tallies, checkpoints, checks).

Every wait is on one stop event (``while not stop.wait(interval)``), so ``stop`` is immediate
and a test can call ``run_once`` directly instead of waiting. ``run_once`` must not raise: a
failed pass is the subclass's to log and record; the schedule goes on regardless.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class PeriodicJob:
    """Subclasses implement :meth:`run_once`; ``runs`` counts the passes made by the thread."""

    def __init__(self, *, name: str, interval_s: float, first_delay_s: float | None = None) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: interval_s must be positive, got {interval_s}")
        self.name = name
        self.interval_s = interval_s
        self.first_delay_s = interval_s if first_delay_s is None else first_delay_s
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        delay = self.first_delay_s
        while not self._stop.wait(delay):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - a pass that escaped its own handling; go on
                log.exception("%s: periodic pass failed", self.name)
            self.runs += 1
            delay = self.interval_s

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, interval_s={self.interval_s})"
