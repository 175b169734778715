"""Real camera workers (spawned processes under the real supervisor) and a collector of what
they send, with waits on conditions."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cameras.messages import ReadMessage, StatusMessage
from cameras.supervisor import CameraSupervisor
from cameras.worker import DEFAULT_RECOGNIZER, RecognizerFactory, WorkerSpec
from rtcc.clock import SystemClock
from rtcc.config import load_settings

MODEL_LOAD_S = 40.0  # a first frame can wait for the real models on a busy machine
# Fast failure detection for tests: a stalled source is noticed in 3 s, reconnects within 2 s.
QUICK = {"read_timeout_s": 3, "connect_timeout_s": 3, "reconnect_max_s": 2}


class Collector:
    """Everything the workers sent, with waits on conditions."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.messages: list[Any] = []

    def pump(self, seconds: float = 0.2) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            with contextlib.suppress(queue.Empty):
                self.messages.append(self.source.get(timeout=max(0.01, left)))
            if time.monotonic() >= end:
                return

    def wait_for(
        self, predicate: Callable[[Any], bool], timeout: float, what: str, *, since: int = 0
    ) -> Any:
        """The first message from index ``since`` on that satisfies ``predicate``."""
        end = time.monotonic() + timeout
        checked = since
        while True:
            for msg in self.messages[checked:]:
                checked += 1
                if predicate(msg):
                    return msg
            if time.monotonic() >= end:
                tail = [brief(m) for m in self.messages[since:][-15:]]
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                     f"last messages: {tail}")
            self.pump(0.2)

    def mark(self) -> int:
        """Make later waits ignore what has been seen so far."""
        return len(self.messages)

    def reads(self, cam: str | None = None, *, since: int = 0) -> list[ReadMessage]:
        return [m for m in self.messages[since:]
                if isinstance(m, ReadMessage) and (cam is None or m.camera_id == cam)]


def brief(msg: Any) -> str:
    name = type(msg).__name__
    if not hasattr(msg, "camera_id"):  # a worker's log record
        return f"{name}({getattr(msg, 'msg', '')!r})"
    if hasattr(msg, "state"):
        return f"{name}({msg.camera_id} {msg.state} {msg.message})"
    if isinstance(msg, ReadMessage):
        return f"{name}({msg.camera_id} {msg.record.status} {msg.record.plate})"
    return f"{name}({msg.camera_id})"


def state_is(cam: str, *states: str) -> Callable[[Any], bool]:
    """A predicate for ``Collector.wait_for``: a status of ``cam`` in one of ``states``."""
    return lambda m: isinstance(m, StatusMessage) and m.camera_id == cam and m.state in states


def final_read(cam: str, plate: str | None = None) -> Callable[[Any], bool]:
    return lambda m: (isinstance(m, ReadMessage) and m.camera_id == cam
                      and m.record.status == "final" and plate in (None, m.record.plate))


class CameraRuns:
    """Starts real worker processes (one per camera, under a real supervisor) and stops every
    supervisor it started on ``close``; use as a context manager in a fixture."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._started: list[CameraSupervisor] = []

    def start(
        self,
        cameras: list[dict[str, Any]],
        *,
        recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
        lpr: dict[str, Any] | None = None,
        specs: list[WorkerSpec] | None = None,
        **supervisor: Any,
    ) -> tuple[CameraSupervisor, Collector]:
        """Cameras as in the YAML file (or ready ``specs``); ``supervisor`` passes
        restart-budget settings on."""
        settings = self._settings(lpr)
        sup = CameraSupervisor([], lpr=settings.lpr, data_dir=settings.data_dir,
                               clock=SystemClock(),
                               specs=specs or self.specs(cameras, recognizer=recognizer, lpr=lpr),
                               **supervisor)
        sup.start()
        self._started.append(sup)
        return sup, Collector(sup.messages)

    def specs(
        self,
        cameras: list[dict[str, Any]],
        *,
        recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
        lpr: dict[str, Any] | None = None,
    ) -> list[WorkerSpec]:
        """Worker specs of cameras as in the YAML file (what ``start`` and ``apply`` take)."""
        settings = self._settings(lpr, [{**QUICK, **c} for c in cameras])
        return [WorkerSpec(cam, settings.lpr, settings.data_dir, recognizer=recognizer)
                for cam in settings.cameras]

    def _settings(self, lpr: dict[str, Any] | None, cameras: list[Any] | None = None) -> Any:
        return load_settings(None, environ={}, overrides={
            "data_dir": str(self.data_dir), "lpr": lpr or {}, "cameras": cameras or [],
        })

    def close(self) -> None:
        while self._started:
            self._started.pop().stop(timeout=10)

    def __enter__(self) -> CameraRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
