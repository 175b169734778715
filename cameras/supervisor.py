"""Starts one worker process per camera, restarts crashed ones within a budget, stops them all.

Each worker writes to its own pipe; a relay thread moves messages into ``self.messages`` (a
thread queue the core drains). A worker killed mid-write can only spoil its own pipe, which is
replaced on restart — a shared ``multiprocessing.Queue`` could be left locked for everyone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import wait as wait_any
from pathlib import Path
from typing import Any

from cameras.control import Outbox, StopFlag
from cameras.detector_host import DetectorHost
from cameras.messages import StatusMessage
from cameras.restart_budget import RestartBudget, Verdict
from cameras.worker import DEFAULT_RECOGNIZER, WorkerSpec, run_worker
from rtcc.clock import Clock
from rtcc.config import CameraSettings, LprSettings

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    spec: WorkerSpec
    budget: RestartBudget
    process: Any = None
    reader: Any = None


def _child(spec: WorkerSpec, conn: Any, stop: StopFlag) -> None:
    _exit_with_parent()
    run_worker(spec, Outbox(conn), stop)


def _exit_with_parent(poll_s: float = 0.2) -> None:
    """A worker whose parent died (``kill -9`` of a camera node) exits within ``poll_s``: its
    camera may already be leased to another node, and must never run twice."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class CameraSupervisor:
    def __init__(
        self,
        cameras: list[CameraSettings],
        *,
        lpr: LprSettings,
        data_dir: Path,
        clock: Clock,
        max_restarts: int = 5,
        restart_window_s: float = 60.0,
        failed_retry_s: float = 60.0,
        specs: list[WorkerSpec] | None = None,
    ) -> None:
        self._ctx = mp.get_context("spawn")
        self.messages: queue.Queue[Any] = queue.Queue()
        self._stop = StopFlag(self._ctx)
        self._clock = clock
        specs = specs or [WorkerSpec(cam, lpr, data_dir) for cam in cameras]
        # lpr.detector = shared: one detector process serves every camera that would otherwise
        # load the default models itself.
        self.detector: DetectorHost | None = None
        if lpr.detector == "shared" and any(s.recognizer == DEFAULT_RECOGNIZER for s in specs):
            self.detector = DetectorHost(lpr, ctx=self._ctx)
            client = self.detector.client()
            specs = [replace(s, recognizer=client) if s.recognizer == DEFAULT_RECOGNIZER else s
                     for s in specs]
        self._slots = {
            s.camera.id: _Slot(s, RestartBudget(limit=max_restarts, window_s=restart_window_s,
                                                pause_s=failed_retry_s))
            for s in specs if s.camera.enabled
        }
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._halt = threading.Event()

    def _spawn(self, slot: _Slot) -> None:
        reader, writer = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=_child,
            args=(slot.spec, writer, self._stop),
            name=f"camera-{slot.spec.camera.id}",
            daemon=True,
        )
        proc.start()
        writer.close()  # the child holds the only writer: its death means EOF here
        with self._lock:
            slot.process, slot.reader = proc, reader

    def start(self) -> None:
        if self.detector is not None:
            self.detector.start()
        for slot in self._slots.values():
            self._spawn(slot)
        for target, name in ((self._watch, "camera-supervisor"), (self._relay, "camera-relay")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _relay(self) -> None:
        while not self._halt.is_set():
            with self._lock:
                readers = [s.reader for s in self._slots.values() if s.reader is not None]
            if not readers:
                self._halt.wait(0.2)
                continue
            for conn in wait_any(readers, timeout=0.2):
                try:
                    self.messages.put(conn.recv())  # type: ignore[union-attr,call-arg]
                except (EOFError, OSError):
                    self._drop_reader(conn)
                except Exception:  # noqa: BLE001 - a garbled message from a killed worker
                    log.exception("unreadable message from a camera worker")
                    self._drop_reader(conn)

    def _drop_reader(self, conn: Any) -> None:
        with self._lock:
            for slot in self._slots.values():
                if slot.reader is conn:
                    slot.reader = None
        conn.close()

    def _watch(self) -> None:
        while not self._halt.wait(0.5):
            host = self.detector
            if host is not None and not host.process.is_alive() and not self._stop.is_set():
                log.warning("detector host exited with code %s; restarting",
                            host.process.exitcode)
                host.start()  # its cameras error out meanwhile and are restarted as usual
            for cam_id, slot in self._slots.items():
                self._check(cam_id, slot)

    def _check(self, cam_id: str, slot: _Slot) -> None:
        now, budget = self._clock.monotonic(), slot.budget
        if budget.failed:
            if budget.retry_due(now):
                self._status(cam_id, "starting", "retrying after repeated crashes", slot)
                self._spawn(slot)
            return
        if slot.process is None or slot.process.is_alive() or self._stop.is_set():
            return
        code = slot.process.exitcode
        if budget.on_exit(now) is Verdict.FAILED:
            self._status(cam_id, "failed", f"worker crashed {budget.limit + 1} times in "
                         f"{budget.window_s:g} s (last exit code {code}); retrying in "
                         f"{budget.pause_s:g} s", slot)
            return
        log.warning("camera %s: worker exited with code %s; restarting", cam_id, code)
        self._status(cam_id, "error", f"worker exited with code {code}; restarting", slot)
        self._spawn(slot)

    def _status(self, cam_id: str, state: str, message: str, slot: _Slot) -> None:
        self.messages.put(StatusMessage(cam_id, state, self._clock.now(), message,
                                        restarts=slot.budget.total))

    def pids(self) -> dict[str, int | None]:
        return {k: (s.process.pid if s.process else None) for k, s in self._slots.items()}

    def restarts(self, cam_id: str) -> int:
        return self._slots[cam_id].budget.total

    def is_failed(self, cam_id: str) -> bool:
        return self._slots[cam_id].budget.failed

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for slot in self._slots.values():
            if slot.process is not None:
                slot.process.join(timeout)
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join(2)
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout)
        if self.detector is not None:
            self.detector.stop(timeout)
