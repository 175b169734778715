"""Simulated camera nodes for ``rtcc bench ingest``, each a process of its own as on a node host.

A node holds an outbox, a forwarder and the relay of ``rtcc node``: one thread reading every
camera's pipe and handing what it read to the outbox (``rtcc.runtime.node.relay_to``). Its
cameras are one more process (standing in for the camera workers) that sends read ``i`` down
its camera's pipe at ``t0 + i / rate`` (``rate`` 0: all at once) and reports when it first sent
each plate. When every pipe has ended the node waits until its outbox is empty and reports.
Times are ``time.monotonic()``, one clock for every process on a Linux host.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from cameras.messages import ReadMessage
from cameras.relay import PipeRelay
from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox
from rtcc.config import BusSettings
from rtcc.runtime.forwarder import Forwarder
from rtcc.runtime.heap import freeze_startup_heap
from rtcc.runtime.node import relay_to


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
    cameras_cpu_seconds: float = 0.0  # its simulated camera workers' (pickling, pipe writes)
    error: str | None = None


@dataclass
class CamerasReport:
    node_id: str
    sent: dict[str, float]  # plate -> first sent (monotonic)
    seconds: float  # from t0 to the last read sent
    cpu_seconds: float  # pickling and pipe writes, as a camera worker does them


def cameras_main(
    job: NodeJob, writers: dict[str, Any], ready: Any, go: Any, t0: Any, results: Any
) -> None:
    """A node's camera workers: each read down its camera's pipe at its time."""
    ready.put(f"{job.node_id} cameras")
    go.wait()
    time.sleep(max(0.0, t0.value - time.monotonic()))  # every node starts at t0, rate or none
    cpu0 = time.process_time()
    sent: dict[str, float] = {}
    for i, msg in job.reads:
        if job.rate > 0:
            time.sleep(max(0.0, t0.value + i / job.rate - time.monotonic()))
        sent.setdefault(msg.record.plate, time.monotonic())
        writers[msg.camera_id].send(msg)
    took = time.monotonic() - t0.value
    for conn in writers.values():
        conn.close()
    results.put(CamerasReport(job.node_id, sent, took, time.process_time() - cpu0))


def node_main(job: NodeJob, readers: list[Any], ready: Any, results: Any) -> None:
    """The node process: connect, relay its cameras' reads until their pipes end, drain the
    outbox, report."""
    report = NodeReport(job.node_id)
    cpu0 = time.process_time()
    try:
        conn = NatsConnection.open(job.bus)
        outbox = Outbox(job.outbox, linger_s=job.bus.outbox_linger_s)
        fwd = Forwarder(conn, outbox, node_id=job.node_id).start()
        relay = PipeRelay(partial(relay_to, fwd), name="node-relay")  # as ``rtcc node``'s
        for reader in readers:
            relay.add(reader, _close)
        relay.start()
        freeze_startup_heap()  # as ``rtcc node`` does
        ready.put(job.node_id)
        try:
            while len(relay):  # every pipe read to its end
                time.sleep(0.01)
            report.submitted = len(job.reads)
            if not fwd.flush(job.flush_timeout_s):
                report.error = f"{len(outbox)} reads still in the outbox"
        finally:
            relay.stop()
            fwd.stop()
            report.forwarded, report.syncs = fwd.forwarded, outbox.syncs
            outbox.close()
            conn.close()
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which prints it
        report.error = repr(exc)
        ready.put(job.node_id)
    report.cpu_seconds = time.process_time() - cpu0
    results.put(report)


def _close(conn: Any) -> None:
    conn.close()


class SimulatedNodes:
    """Node processes and their cameras' (``spawn``: no threads or connections inherited)."""

    def __init__(self, jobs: list[NodeJob]) -> None:
        ctx = mp.get_context("spawn")
        self.jobs = jobs
        self._ready = ctx.Queue()
        self._results = ctx.Queue()
        self._go = ctx.Event()
        self._t0 = ctx.Value("d", 0.0)
        self._procs = []
        self._pipes: list[Any] = []  # closed here once the processes hold them
        for job in jobs:
            pipes = {
                cid: ctx.Pipe(duplex=False)
                for cid in dict.fromkeys(m.camera_id for _, m in job.reads)
            }
            readers = [r for r, _ in pipes.values()]
            writers = {cid: w for cid, (_, w) in pipes.items()}
            self._pipes += readers + list(writers.values())
            self._procs += [
                ctx.Process(
                    target=node_main,
                    args=(job, readers, self._ready, self._results),
                    name=f"bench-{job.node_id}",
                    daemon=True,
                ),
                ctx.Process(
                    target=cameras_main,
                    args=(job, writers, self._ready, self._go, self._t0, self._results),
                    name=f"bench-{job.node_id}-cameras",
                    daemon=True,
                ),
            ]

    def start(self, timeout_s: float = 120.0) -> SimulatedNodes:
        for proc in self._procs:
            proc.start()
        for conn in self._pipes:
            conn.close()  # a pipe ends when its camera process closes the only writer
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
        got: list[Any] = []
        deadline = time.monotonic() + timeout_s
        for _ in self._procs:
            try:
                got.append(self._results.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
        for proc in self._procs:
            proc.join(5.0)
            if proc.is_alive():
                proc.kill()
        cams = {r.node_id: r for r in got if isinstance(r, CamerasReport)}
        out = [r for r in got if isinstance(r, NodeReport)]
        for report in out:
            if report.node_id in cams:
                c = cams[report.node_id]
                report.sent, report.submit_seconds = c.sent, c.seconds
                report.cameras_cpu_seconds = c.cpu_seconds
        return out
