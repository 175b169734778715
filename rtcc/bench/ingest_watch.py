"""Another API instance and a console for ``rtcc bench ingest``: the hit latency ends where an
officer's console receives the hit.

Two processes of their own, apart from the ingest consumers as on a real install:
- **the instance** (``api_main``): the console's app (``web.app.create_app``) behind uvicorn on
  its own bus connection, without cameras or an ingest consumer of its own; its websocket hub
  forwards every event an officer may see, as any API instance does;
- **the consoles** (``console_main``): websocket clients with an officer's API token on that
  instance's ``/ws/events?batch=1`` (as the console asks; one process, ``consoles``
  connections), noting when each plate's first hit arrived at each of them. Only a frame
  naming a hit is decoded: the clients stand in for browsers on other machines, so their own
  cost here is kept small.

Times are ``time.monotonic()``, one clock for every process on a Linux host.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from rtcc.config import Settings


@dataclass
class WatchReport:
    hits: list[dict[str, float]] = field(default_factory=list)  # per console: plate -> first hit
    frames: int = 0  # websocket frames the consoles received (a frame holds one or more events)
    cpu_seconds: float = 0.0  # the API instance's
    console_cpu_seconds: float = 0.0
    error: str | None = None


def api_main(settings: Settings, urls: Any, stop: Any, results: Any) -> None:
    """The API instance: serve the app until ``stop``; report its CPU."""
    from rtcc.bench.latency import serve_app
    from rtcc.bus import make_bus
    from rtcc.runtime.services import build_services
    from web.app import create_app

    cpu0 = time.process_time()
    try:
        bus = make_bus(settings)
        services = build_services(settings, bus=bus)
        with serve_app(create_app(services)) as base:
            urls.put(base)
            cpu0 = time.process_time()
            stop.wait()
        services.engine.dispose()
        getattr(bus, "close")()  # noqa: B009 - NatsBus.close
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which says so
        urls.put(None)
        results.put(("api", time.process_time() - cpu0, repr(exc)))
        return
    results.put(("api", time.process_time() - cpu0, None))


def console_main(
    url: str, token: str, consoles: int, ready: Any, stop: Any, results: Any
) -> None:
    """The consoles: receive until ``stop``; report each one's first hit time of each plate."""
    report = WatchReport(hits=[{} for _ in range(consoles)])
    try:
        asyncio.run(_listen_all(url, token, ready, stop, report))
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which says so
        report.error = f"console: {exc!r}"
        ready.set()
    results.put(report)


async def _listen_all(url: str, token: str, ready: Any, stop: Any, report: WatchReport) -> None:
    import websockets

    headers = {"Authorization": f"Bearer {token}"}
    sockets = [
        await websockets.connect(url, additional_headers=headers, max_queue=None)
        for _ in report.hits
    ]
    try:
        for ws in sockets:
            json.loads(await ws.recv())  # hello: the hub has subscribed
        ready.set()
        cpu0 = time.process_time()
        await asyncio.gather(*(_listen(ws, hits, stop, report) for ws, hits in
                               zip(sockets, report.hits, strict=True)))
        report.console_cpu_seconds = time.process_time() - cpu0
    finally:
        for ws in sockets:
            await ws.close()


async def _listen(ws: Any, hits: dict[str, float], stop: Any, report: WatchReport) -> None:
    while not stop.is_set():
        try:
            raw = await asyncio.wait_for(ws.recv(), 0.2)
        except TimeoutError:
            continue
        report.frames += 1
        if '"type":"hit"' not in raw:  # the one encoding: compact JSON
            continue
        at, got = time.monotonic(), json.loads(raw)
        for msg in got if isinstance(got, list) else [got]:  # batch=1: a frame per burst
            if msg.get("type") == "hit":
                hits.setdefault(str(msg.get("plate")), at)


class HitWatcher:
    """The instance and its console: ``start`` returns once the console is subscribed;
    ``finish`` stops both and returns the console's report with the instance's CPU."""

    def __init__(self, settings: Settings, token: str, consoles: int = 1) -> None:
        self._ctx = mp.get_context("spawn")
        self._settings, self._token, self._consoles = settings, token, consoles
        # The console stops first (its connection closed by the client, not the server).
        self._stop_api, self._stop, self._ready = (self._ctx.Event() for _ in range(3))
        self._urls, self._results = self._ctx.Queue(), self._ctx.Queue()
        self._procs: list[Any] = []

    def start(self, timeout_s: float = 120.0) -> HitWatcher:
        api = self._ctx.Process(
            target=api_main,
            args=(self._settings, self._urls, self._stop_api, self._results),
            name="bench-api-instance",
            daemon=True,
        )
        api.start()
        self._procs.append(api)
        base = self._urls.get(timeout=timeout_s)
        if base is None:
            raise RuntimeError(f"the API instance did not start: {self._results.get()[2]}")
        console = self._ctx.Process(
            target=console_main,
            args=(base.replace("http", "ws", 1) + "/ws/events?batch=1", self._token,
                  self._consoles,
                  self._ready, self._stop, self._results),
            name="bench-console",
            daemon=True,
        )
        console.start()
        self._procs.append(console)
        if not self._ready.wait(timeout_s):
            self._stop.set()
            self._stop_api.set()
            raise TimeoutError("the console did not subscribe in time")
        return self

    def finish(self, timeout_s: float = 30.0) -> WatchReport:
        self._stop.set()
        report, api_cpu, errors = WatchReport(), 0.0, []
        for n in range(len(self._procs)):
            if n or len(self._procs) == 1:
                self._stop_api.set()  # once the console has reported
            try:
                got = self._results.get(timeout=timeout_s)
            except queue.Empty:
                errors.append("the API instance or its console did not report")
                continue
            if isinstance(got, WatchReport):
                report = got
                errors += [got.error] if got.error else []
            else:
                api_cpu = got[1]
                errors += [f"API instance: {got[2]}"] if got[2] else []
        for proc in self._procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
        report.cpu_seconds, report.error = api_cpu, "; ".join(errors) or None
        return report
