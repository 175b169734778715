"""Another API instance for ``rtcc bench ingest``: a process of its own with its own bus
connection, subscribed to every event as an instance with websocket clients is (it decodes each
one), noting when each plate's first new hit reached it.

It runs apart from the ingest consumers, as another instance would: its decoding neither
borrows their interpreter nor counts as their CPU. Times are ``time.monotonic()``, one clock
for every process on a Linux host.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from rtcc.config import Settings


@dataclass
class WatchReport:
    hits: dict[str, float] = field(default_factory=dict)  # plate -> first new hit (monotonic)
    events: int = 0  # every event decoded
    cpu_seconds: float = 0.0
    error: str | None = None


def watch_main(settings: Settings, ready: Any, stop: Any, results: Any) -> None:
    from rtcc.bus import make_bus
    from rtcc.events import NewHitEvent

    report = WatchReport()
    try:
        bus = make_bus(settings)
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which says so
        report.error = repr(exc)
        ready.set()
        results.put(report)
        return
    sub = bus.subscribe(maxsize=1_000_000)
    ready.set()
    cpu0 = time.process_time()
    while not stop.is_set():
        try:
            event = sub.get(timeout=0.2)
        except queue.Empty:
            continue
        report.events += 1
        if isinstance(event, NewHitEvent):
            report.hits.setdefault(event.plate, time.monotonic())
    report.cpu_seconds = time.process_time() - cpu0
    getattr(bus, "close")()  # noqa: B009 - NatsBus.close
    results.put(report)


class HitWatcher:
    """The watching instance: ``start`` returns once it is subscribed; ``finish`` stops it
    and returns its report."""

    def __init__(self, settings: Settings) -> None:
        ctx = mp.get_context("spawn")
        self._ready, self._stop, self._results = ctx.Event(), ctx.Event(), ctx.Queue()
        self._proc = ctx.Process(
            target=watch_main,
            args=(settings, self._ready, self._stop, self._results),
            name="bench-hit-watch",
            daemon=True,
        )

    def start(self, timeout_s: float = 60.0) -> HitWatcher:
        self._proc.start()
        if not self._ready.wait(timeout_s):
            self._proc.kill()
            raise TimeoutError("the hit watcher did not subscribe in time")
        return self

    def finish(self, timeout_s: float = 30.0) -> WatchReport:
        self._stop.set()
        try:
            report: WatchReport = self._results.get(timeout=timeout_s)
        except queue.Empty:
            report = WatchReport(error="the hit watcher did not report")
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
        return report
