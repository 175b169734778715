"""Starts one worker process per camera, restarts crashed ones within a budget, stops them all.

:meth:`CameraSupervisor.apply` changes the running set live: new cameras start, removed or
disabled ones stop (each worker has its own stop flag, so one stops cleanly and its recorder
finishes its segment), those whose spec changed restart; the others and their budgets stay.

Each worker writes to its own pipe; a relay thread (``cameras.relay``) moves messages into
``self.messages`` (a thread queue the core drains), or hands them to a node's shared relay.
A worker killed mid-write can only spoil its own pipe, which is replaced on restart — a
shared ``multiprocessing.Queue`` could be left locked for everyone.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from cameras import launch
from cameras.control import Outbox, StopFlag
from cameras.detector_host import DetectorHost
from cameras.messages import StatusMessage
from cameras.relay import PipeRelay
from cameras.restart_budget import RestartBudget, Verdict
from cameras.worker import DEFAULT_RECOGNIZER, WorkerSpec, run_worker
from rtcc import datadir
from rtcc.clock import Clock
from rtcc.config import CameraSettings, LprSettings

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    spec: WorkerSpec  # as asked (what ``apply`` compares); the detector client goes in at spawn
    budget: RestartBudget
    stop: StopFlag
    process: Any = None
    reader: Any = None


def _restart_needed(running: WorkerSpec, wanted: WorkerSpec) -> bool:
    """Whether ``wanted`` differs from ``running`` in anything its worker uses."""
    if replace(running, camera=wanted.camera) != wanted:
        return True
    skip = set(CameraSettings.DESCRIPTIVE)
    return running.camera.model_dump(exclude=skip) != wanted.camera.model_dump(exclude=skip)


@dataclass(frozen=True)
class Applied:
    """What :meth:`CameraSupervisor.apply` changed (camera ids, sorted)."""

    started: tuple[str, ...] = ()
    restarted: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.started or self.restarted or self.stopped)


def _child(spec: WorkerSpec, conn: Any, stop: StopFlag, lifeline: Any) -> None:
    launch.exit_with_parent(lifeline)
    run_worker(spec, Outbox(conn), stop)


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
        relay: PipeRelay | None = None,
        detector: DetectorHost | None = None,
    ) -> None:
        self._ctx = mp.get_context("spawn")
        self.messages: queue.Queue[Any] = queue.Queue()
        # The workers' pipes are read by ``relay`` (a node's, shared by the supervisors of all
        # its cameras: handed the messages) or by one of its own that puts them in ``messages``.
        self._own_relay = relay is None
        self._relay = relay if relay is not None else PipeRelay(self._queue_all)
        self._stopping = threading.Event()
        self._clock = clock
        self._lpr = lpr
        self._budget = partial(
            RestartBudget, limit=max_restarts, window_s=restart_window_s, pause_s=failed_retry_s
        )
        specs = specs or [WorkerSpec(c, lpr, data_dir) for c in cameras]
        # lpr.detector = shared: one detector process serves every camera that would otherwise
        # load the default models itself (created here, or by ``apply`` when one first does;
        # or ``detector``: a node's, shared by the supervisors of all its cameras, started and
        # restarted here as needed, stopped by the node).
        self._given_detector = detector
        self.detector: DetectorHost | None = None
        self._detector_budget = self._budget()
        self._slots = {s.camera.id: self._slot(s) for s in specs if s.camera.enabled}
        self._ensure_detector()
        self._lock = threading.Lock()  # slot processes and readers (the relay reads them)
        self._changing = threading.RLock()  # apply and the watchdog, one at a time
        self._retiring: dict[Any, StatusMessage | None] = {}  # reader -> message after its EOF
        self._threads: list[threading.Thread] = []
        self._halt = threading.Event()
        self._started = False

    def _slot(self, spec: WorkerSpec) -> _Slot:
        return _Slot(spec, self._budget(), StopFlag(self._ctx))

    def _ensure_detector(self) -> None:
        wants = any(
            s.spec.camera.lpr and s.spec.recognizer == DEFAULT_RECOGNIZER
            for s in self._slots.values()
        )
        if self.detector is None and self._lpr.detector == "shared" and wants:
            self.detector = self._given_detector or DetectorHost(self._lpr, ctx=launch.context())

    def _runnable(self, spec: WorkerSpec) -> WorkerSpec:
        if self.detector is not None and spec.recognizer == DEFAULT_RECOGNIZER:
            return replace(spec, recognizer=self.detector.client(spec.camera.id))
        return spec

    def _spawn(self, slot: _Slot) -> None:
        needs_main = launch.from_main(slot.spec.recognizer)
        reader, writer = self._ctx.Pipe(duplex=False)
        proc = launch.context(needs_main=needs_main).Process(
            target=_child,
            args=(self._runnable(slot.spec), writer, slot.stop, launch.lifeline()),
            name=f"camera-{slot.spec.camera.id}",
            daemon=True,
        )
        with launch.lean_child(needs_main=needs_main):
            proc.start()
        writer.close()  # the child holds the only writer: its death means EOF here
        with self._lock:
            slot.process, slot.reader = proc, reader
        self._relay.add(reader, self._drop_reader)

    def start(self) -> None:
        self._started = True
        self._sweep(list(self._slots))
        if self.detector is not None:
            with launch.lean_child():
                self.detector.start()
        for slot in self._slots.values():
            self._spawn(slot)
        if self._own_relay:
            self._relay.start()
        thread = threading.Thread(target=self._watch, name="camera-supervisor", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _sweep(self, camera_ids: list[str]) -> None:
        """Before a camera's first worker starts: remove the temporary files a worker killed
        mid-write left in its photo folder and the live folder (``rtcc.datadir``)."""
        now = self._clock.now().timestamp()
        for cam_id in camera_ids:
            data_dir = self._slots[cam_id].spec.data_dir
            for folder in (data_dir / "media" / "reads" / cam_id, data_dir / "live"):
                if removed := datadir.sweep_temp_files(folder, now=now):
                    log.info("camera %s: %d stale temporary files removed", cam_id, removed)

    def _queue_all(self, messages: list[Any]) -> None:
        for msg in messages:
            self.messages.put(msg)

    def _emit(self, msg: Any) -> None:
        """The supervisor's own messages (statuses) go where its workers' messages go."""
        self._relay.deliver([msg])

    def _drop_reader(self, conn: Any) -> None:
        with self._lock:
            for slot in self._slots.values():
                if slot.reader is conn:
                    slot.reader = None
            last = self._retiring.pop(conn, None)
        conn.close()
        if last is not None:  # after everything the stopped worker sent
            self._emit(last)

    def _watch(self) -> None:
        while not self._halt.wait(0.5):
            with self._changing:
                host = self.detector
                if host is not None and host.dead() and not self._stopping.is_set():
                    self._restart_detector(host)
                for cam_id, slot in list(self._slots.items()):
                    self._check(cam_id, slot)

    def _restart_detector(self, host: DetectorHost) -> None:
        """Restart dead detector processes (their cameras error out meanwhile and are restarted
        as usual), within a restart budget: a host that cannot load its models is retried
        after a pause, not every half second."""
        now, budget = self._clock.monotonic(), self._detector_budget
        if budget.failed:
            if not budget.retry_due(now):
                return
        elif budget.on_exit(now) is Verdict.FAILED:
            log.error("detector host crashed %d times in %g s; retrying in %g s",
                      budget.limit + 1, budget.window_s, budget.pause_s)
            return
        with launch.lean_child():
            for code in host.start():
                log.warning("detector host exited with code %s; restarted", code)

    def _check(self, cam_id: str, slot: _Slot) -> None:
        now, budget = self._clock.monotonic(), slot.budget
        if budget.failed:
            if budget.retry_due(now):
                self._status(cam_id, "starting", "retrying after repeated crashes", slot)
                self._spawn(slot)
            return
        if slot.process is None or slot.process.is_alive() or self._stopping.is_set():
            return
        code = slot.process.exitcode
        if budget.on_exit(now) is Verdict.FAILED:
            self._status(
                cam_id,
                "failed",
                f"worker crashed {budget.limit + 1} times in "
                f"{budget.window_s:g} s (last exit code {code}); retrying in "
                f"{budget.pause_s:g} s",
                slot,
            )
            return
        log.warning("camera %s: worker exited with code %s; restarting", cam_id, code)
        self._status(cam_id, "error", f"worker exited with code {code}; restarting", slot)
        self._spawn(slot)

    def _status(self, cam_id: str, state: str, message: str, slot: _Slot) -> None:
        self._emit(
            StatusMessage(cam_id, state, self._clock.now(), message, restarts=slot.budget.total)
        )

    def apply(self, specs: list[WorkerSpec], *, timeout: float = 10.0) -> Applied:
        """Run exactly the enabled cameras of ``specs``: start the new ones, stop those gone
        (their status then says ``offline``, disabled), restart those whose spec changed; the
        others keep their process and restart budget. A stopping worker gets ``timeout``
        seconds to finish cleanly (its segment closed) before it is killed."""
        wanted = {s.camera.id: s for s in specs if s.camera.enabled}
        with self._changing:
            if self._stopping.is_set():
                return Applied()
            current = dict(self._slots)
            gone = sorted(set(current) - set(wanted))
            kept = set(current) & set(wanted)
            changed = sorted(c for c in kept if _restart_needed(current[c].spec, wanted[c]))
            for cid in kept - set(changed):
                current[cid].spec = wanted[cid]  # a new name or place: the worker runs on
            new = sorted(set(wanted) - set(current))
            leaving = [(current[c], "disabled") for c in gone]
            self._retire(leaving + [(current[c], None) for c in changed], timeout)
            with self._lock:
                for cid in gone:
                    del self._slots[cid]
                    if self.detector is not None:
                        self.detector.release(cid)
                for cid in new:
                    self._slots[cid] = self._slot(wanted[cid])
            for cid in changed:
                slot = current[cid]
                slot.spec, slot.stop = wanted[cid], StopFlag(self._ctx)
                slot.budget.reset()  # a fixed definition deserves a fresh start
            self._ensure_detector()
            if self._started:
                self._sweep(new)
                if self.detector is not None and not self.detector.started:
                    with launch.lean_child():
                        self.detector.start()
                for cid in changed + new:
                    self._spawn(self._slots[cid])
        for cid in changed:
            log.info("camera %s: definition changed; worker restarted", cid)
        return Applied(tuple(new), tuple(changed), tuple(gone))

    def _retire(self, leaving: list[tuple[_Slot, str | None]], timeout: float) -> None:
        """Stop the workers of the slots (together, each cleanly, killed after ``timeout``);
        their pipes are read to the end, then ``why`` (if any) goes out as their camera's
        offline status."""
        slots = [slot for slot, _ in leaving]
        for slot, why in leaving:
            slot.stop.set()
            last = None
            if why is not None:
                last = StatusMessage(
                    slot.spec.camera.id,
                    "offline",
                    self._clock.now(),
                    why,
                    restarts=slot.budget.total,
                )
            with self._lock:
                reader, slot.reader = slot.reader, None
                if reader is not None:
                    self._retiring[reader] = last
            if reader is None and last is not None:  # its pipe already ended
                self._emit(last)
        self._join([slot.process for slot in slots if slot.process is not None], timeout)
        for slot in slots:
            slot.process = None

    @staticmethod
    def _join(processes: list[Any], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for proc in processes:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in processes:
            if proc.is_alive():
                log.warning("%s did not stop in %g s; killed", proc.name, timeout)
                proc.kill()
                proc.join(2)

    def pids(self) -> dict[str, int | None]:
        with self._lock:
            slots = dict(self._slots)
        return {k: (s.process.pid if s.process else None) for k, s in slots.items()}

    def restarts(self, cam_id: str) -> int:
        return self._slots[cam_id].budget.total

    def is_failed(self, cam_id: str) -> bool:
        return self._slots[cam_id].budget.failed

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        with self._changing:
            slots = list(self._slots.values())
            for slot in slots:
                slot.stop.set()
            self._join([slot.process for slot in slots if slot.process is not None], timeout)
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout)
        if self._own_relay:
            self._relay.stop(timeout)
        if self.detector is not None and self.detector is not self._given_detector:
            self.detector.stop(timeout)
        elif self.detector is not None:  # the node's: it serves the node's other cameras on
            for cam_id in self._slots:
                self.detector.release(cam_id)
