"""Simulated camera nodes for ``rtcc bench ingest``, each a process of its own as on a node host.

A node holds an outbox and a forwarder, and one relay thread per camera submits that camera's
reads (``rtcc.runtime.node`` runs one relay thread per camera the same way), read ``i`` at
``t0 + i / rate`` (``rate`` 0: all at once). When they are all submitted the node waits until
its outbox is empty and reports when it first submitted each plate. Times are
``time.monotonic()``, one clock for every process on a Linux host.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cameras.messages import ReadMessage
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox
from rtcc.config import BusSettings
from rtcc.runtime.forwarder import Forwarder


@dataclass(frozen=True)
class NodeJob:
    node_id: str
    bus: BusSettings
    outbox: Path
    reads: list[tuple[int, ReadMessage]]  # (index in the whole run, read)
    rate: float
    flush_timeout_s: float = 600.0


@dataclass
class NodeReport:
    node_id: str
    sent: dict[str, float] = field(default_factory=dict)  # plate -> first submit (monotonic)
    submitted: int = 0
    forwarded: int = 0
    syncs: int = 0  # outbox transactions (group commits)
    submit_seconds: float = 0.0
    cpu_seconds: float = 0.0  # this node process's CPU time while it ran
    error: str | None = None


def _submit(job: NodeJob, fwd: Forwarder, go: Any, t0: Any, report: NodeReport) -> None:
    by_camera: dict[str, list[tuple[int, ReadMessage]]] = {}
    for i, msg in job.reads:
        by_camera.setdefault(msg.camera_id, []).append((i, msg))
    start = threading.Event()

    def camera(items: list[tuple[int, ReadMessage]]) -> None:
        start.wait()
        for i, msg in items:
            if job.rate > 0:
                time.sleep(max(0.0, t0.value + i / job.rate - time.monotonic()))
            report.sent.setdefault(msg.record.plate, time.monotonic())
            fwd.submit(msg)

    threads = [threading.Thread(target=camera, args=(items,)) for items in by_camera.values()]
    for thread in threads:
        thread.start()
    go.wait()
    start.set()
    for thread in threads:
        thread.join()
    report.submit_seconds = time.monotonic() - t0.value
    report.submitted = len(job.reads)


def node_main(job: NodeJob, ready: Any, go: Any, t0: Any, results: Any) -> None:
    """The node process: connect, submit, drain the outbox, report."""
    report = NodeReport(job.node_id)
    cpu0 = time.process_time()
    try:
        conn = NatsConnection.open(job.bus)
        outbox = Outbox(job.outbox)
        fwd = Forwarder(conn, outbox, node_id=job.node_id).start()
        ready.put(job.node_id)
        try:
            _submit(job, fwd, go, t0, report)
            if not fwd.flush(job.flush_timeout_s):
                report.error = f"{len(outbox)} reads still in the outbox"
        finally:
            fwd.stop()
            report.forwarded, report.syncs = fwd.forwarded, outbox.syncs
            outbox.close()
            conn.close()
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which prints it
        report.error = repr(exc)
        ready.put(job.node_id)
    report.cpu_seconds = time.process_time() - cpu0
    results.put(report)


class SimulatedNodes:
    """Node processes (``spawn``: no threads or connections inherited)."""

    def __init__(self, jobs: list[NodeJob]) -> None:
        ctx = mp.get_context("spawn")
        self.jobs = jobs
        self._ready = ctx.Queue()
        self._results = ctx.Queue()
        self._go = ctx.Event()
        self._t0 = ctx.Value("d", 0.0)
        self._procs = [
            ctx.Process(
                target=node_main,
                args=(job, self._ready, self._go, self._t0, self._results),
                name=f"bench-{job.node_id}",
                daemon=True,
            )
            for job in jobs
        ]

    def start(self, timeout_s: float = 120.0) -> SimulatedNodes:
        for proc in self._procs:
            proc.start()
        for _ in self._procs:
            self._ready.get(timeout=timeout_s)
        return self

    def go(self) -> float:
        """Start submitting everywhere at once; the start time (monotonic)."""
        t0 = time.monotonic() + 0.05
        self._t0.value = t0
        self._go.set()
        return t0

    def reports(self, timeout_s: float) -> list[NodeReport]:
        out = []
        deadline = time.monotonic() + timeout_s
        for _ in self._procs:
            try:
                out.append(self._results.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
        for proc in self._procs:
            proc.join(5.0)
            if proc.is_alive():
                proc.kill()
        return out
