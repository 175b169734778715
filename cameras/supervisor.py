"""Starts one worker process per camera, restarts crashed ones within a budget, stops them all.

Messages from the workers arrive on ``self.messages`` (a multiprocessing queue) for the core.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cameras.messages import StatusMessage
from cameras.worker import WorkerSpec, run_worker
from rtcc.clock import Clock
from rtcc.config import CameraSettings, LprSettings

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    spec: WorkerSpec
    process: Any = None
    restarts: deque[float] = field(default_factory=deque)
    failed_until: float | None = None
    total_restarts: int = 0


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
    ) -> None:
        self._ctx = mp.get_context("spawn")
        self.messages: Any = self._ctx.Queue(maxsize=10_000)
        self._stop = self._ctx.Event()
        self._clock = clock
        self._max_restarts = max_restarts
        self._window = restart_window_s
        self._failed_retry = failed_retry_s
        self._slots = {
            cam.id: _Slot(WorkerSpec(cam, lpr, data_dir)) for cam in cameras if cam.enabled
        }
        self._monitor: threading.Thread | None = None
        self._monitor_stop = threading.Event()

    def _spawn(self, slot: _Slot) -> None:
        proc = self._ctx.Process(
            target=run_worker,
            args=(slot.spec, self.messages, self._stop),
            name=f"camera-{slot.spec.camera.id}",
            daemon=True,
        )
        proc.start()
        slot.process = proc

    def start(self) -> None:
        for slot in self._slots.values():
            self._spawn(slot)
        self._monitor = threading.Thread(target=self._watch, name="camera-supervisor", daemon=True)
        self._monitor.start()

    def _watch(self) -> None:
        while not self._monitor_stop.wait(1.0):
            for cam_id, slot in self._slots.items():
                self._check(cam_id, slot)

    def _check(self, cam_id: str, slot: _Slot) -> None:
        now = self._clock.monotonic()
        if slot.failed_until is not None:
            if now < slot.failed_until:
                return
            slot.failed_until = None
            slot.restarts.clear()
        if slot.process is None or slot.process.is_alive() or self._stop.is_set():
            return
        code = slot.process.exitcode
        while slot.restarts and now - slot.restarts[0] > self._window:
            slot.restarts.popleft()
        if len(slot.restarts) >= self._max_restarts:
            slot.failed_until = now + self._failed_retry
            self._status(cam_id, "failed", f"worker crashed {len(slot.restarts)} times in "
                         f"{int(self._window)} s (last exit code {code}); retrying later")
            return
        slot.restarts.append(now)
        slot.total_restarts += 1
        log.warning("camera %s: worker exited with code %s; restarting", cam_id, code)
        self._status(cam_id, "error", f"worker exited with code {code}; restarting")
        self._spawn(slot)

    def _status(self, cam_id: str, state: str, message: str) -> None:
        try:
            self.messages.put_nowait(StatusMessage(cam_id, state, self._clock.now(), message))
        except Exception:  # noqa: BLE001 - a full queue must not kill the monitor
            log.exception("cannot queue status for camera %s", cam_id)

    def pids(self) -> dict[str, int | None]:
        return {k: (s.process.pid if s.process else None) for k, s in self._slots.items()}

    def restarts(self, cam_id: str) -> int:
        return self._slots[cam_id].total_restarts

    def stop(self, timeout: float = 10.0) -> None:
        self._monitor_stop.set()
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout)
        for slot in self._slots.values():
            if slot.process is not None:
                slot.process.join(timeout)
                if slot.process.is_alive():
                    slot.process.kill()
                    slot.process.join(2)
