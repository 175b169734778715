"""One detector service per host: a process (or a small pool, ``lpr.detector_processes``) that
loads the models once and serves every camera.

Camera workers get ``DetectorHost.client()`` as their recognizer factory. The client copies each
analysed frame into its own ``multiprocessing.shared_memory`` block and sends a small request
(the block's name and the frame shape) over a Unix socket; the host serves whatever requests
are waiting as one batch (``lpr.service.serve``) and answers each camera with its plates.
Camera processes keep decode, motion gating and tracking. A camera whose host is gone raises
``ModelError``: the worker goes to ``error`` and the supervisor restarts it.

Fair under overload by construction: a camera has at most one request outstanding (its client
waits for the reply) and a batch takes the waiting request of every camera, so each camera gets
one frame per batch and none starves. Cameras never queue old frames for it: a frame that went
stale while waiting is dropped in the worker (``cameras.pacing``), so the cameras' analysed
rates drop evenly and their lag stays bounded.

The detector model (``yolo-v9-t-416-license-plate-end2end``) has a fixed batch of 1 (input
``[1, 3, 416, 416]``; a batch of 2 is refused), so the detector runs frame by frame; the
default OCR models (cct-xs-v2 and v1 global) take any batch: one OCR batch per model serves
the plates of every frame of the batch.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing import shared_memory
from multiprocessing.connection import Client, Connection, Listener, wait
from typing import Any

import numpy as np

from cameras import launch
from cameras.worker import DEFAULT_RECOGNIZER, RecognizerFactory, recognizer_factory
from lpr.recognizer import PlateObservation
from lpr.service import DetectReply, DetectRequest, serve
from rtcc.config import LprSettings
from rtcc.errors import ModelError

CONNECT_TIMEOUT_S = 120.0  # the host may still be loading its models


@dataclass(frozen=True)
class SharedDetectorFactory:
    """Picklable recognizer factory for ``WorkerSpec.recognizer``: a client of the host."""

    address: str
    authkey: bytes
    connect_timeout_s: float = CONNECT_TIMEOUT_S

    def __call__(self, settings: LprSettings) -> SharedDetectorClient:
        return SharedDetectorClient(self.address, self.authkey, self.connect_timeout_s)


def _release(segment: shared_memory.SharedMemory) -> None:
    with contextlib.suppress(OSError):
        segment.close()
        segment.unlink()


class SharedDetectorClient:
    """A recognizer that asks the host; owns one shared-memory block sized to its frames."""

    def __init__(self, address: str, authkey: bytes, connect_timeout_s: float) -> None:
        self.address, self.authkey, self.timeout_s = address, authkey, connect_timeout_s
        self._conn: Connection | None = None
        self._segment: shared_memory.SharedMemory | None = None

    def _connect(self) -> Connection:
        if self._conn is not None:
            return self._conn
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                self._conn = Client(self.address, "AF_UNIX", authkey=self.authkey)
                return self._conn
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                if time.monotonic() >= deadline:
                    raise ModelError(f"shared detector not reachable: {exc}") from None
                time.sleep(0.2)

    def _block(self, nbytes: int) -> shared_memory.SharedMemory:
        if self._segment is None or self._segment.size < nbytes:
            if self._segment is not None:
                _release(self._segment)
            self._segment = shared_memory.SharedMemory(create=True, size=nbytes)
            weakref.finalize(self, _release, self._segment)
        return self._segment

    def recognize(self, frame: np.ndarray) -> list[PlateObservation]:
        conn = self._connect()
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        block = self._block(frame.nbytes)
        np.ndarray(frame.shape, np.uint8, buffer=block.buf)[...] = frame
        try:
            conn.send(DetectRequest(block.name, tuple(frame.shape)))
            reply: DetectReply = conn.recv()
        except (EOFError, OSError) as exc:
            self._conn = None
            raise ModelError(f"shared detector gone: {exc or type(exc).__name__}") from None
        if reply.error is not None:
            raise ModelError(f"shared detector: {reply.error}")
        return reply.observations


class DetectorHost:
    """Starts, restarts and stops this host's detector processes (``lpr.detector_processes``,
    spawned, daemonic), each with its own socket and its own copy of the models."""

    def __init__(
        self,
        lpr: LprSettings,
        *,
        recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
        ctx: Any = None,
    ) -> None:
        self.lpr, self.recognizer = lpr, recognizer
        self._ctx = ctx or mp.get_context("spawn")
        # Linux abstract sockets: nothing on disk to leave behind when a host is killed (they
        # vanish with their process); the authkey keeps other local processes out.
        token = os.urandom(8).hex()
        self.addresses = tuple(
            f"\0rtcc-detector-{token}-{k}" for k in range(lpr.detector_processes)
        )
        self._authkey = os.urandom(16)
        self._stop = self._ctx.Event()
        # per process: served frames, batches, largest batch (read by tests and benches)
        self.stats = [self._ctx.Array("q", 3) for _ in self.addresses]
        self.processes: list[Any] = [None] * len(self.addresses)
        self._turn = itertools.count()
        self._placed: dict[str, int] = {}  # camera id -> its detector process
        self._starting = threading.Lock()  # a node's supervisors share one host

    @property
    def started(self) -> bool:
        return any(p is not None for p in self.processes)

    def client(self, camera_id: str | None = None) -> SharedDetectorFactory:
        """A factory for one more camera: the pool's processes take cameras in turn. A camera
        named by ``camera_id`` keeps its process when its worker is restarted (a turn per start
        would soon put every restarted camera on the same process), and a new one goes to the
        process with the fewest cameras (see :meth:`release`)."""
        if camera_id is None:
            k = next(self._turn) % len(self.addresses)
        elif (k := self._placed.get(camera_id, -1)) < 0:
            load = [0] * len(self.addresses)
            for placed in self._placed.values():
                load[placed] += 1
            k = self._placed[camera_id] = load.index(min(load))
        return SharedDetectorFactory(self.addresses[k], self._authkey)

    def release(self, camera_id: str) -> None:
        """The camera runs here no more: its place in the pool goes to the next one."""
        self._placed.pop(camera_id, None)

    def start(self) -> list[int]:
        """Start every detector process not running (all at first; later the ones that died).
        Returns the exit codes of the dead ones it replaced."""
        replaced = []
        with self._starting:
            for k, address in enumerate(self.addresses):
                old = self.processes[k]
                if old is not None and (old.is_alive() or old.exitcode is None):
                    continue
                if old is not None:
                    replaced.append(old.exitcode)
                self.processes[k] = self._ctx.Process(
                    target=run_host,
                    args=(address, self._authkey, self.recognizer, self.lpr, self._stop,
                          self.stats[k], launch.lifeline()),
                    name=f"detector-host-{k}",
                    daemon=True,
                )
                self.processes[k].start()
        return replaced

    def dead(self) -> bool:
        return any(p is not None and not p.is_alive() for p in self.processes)

    def served(self) -> tuple[int, int, int]:
        """(frames served, batches, largest batch), over the whole pool."""
        each = self.served_each()
        return sum(e[0] for e in each), sum(e[1] for e in each), max(e[2] for e in each)

    def served_each(self) -> list[tuple[int, int, int]]:
        """(frames served, batches, largest batch) of each detector process."""
        out = []
        for stats in self.stats:
            with stats.get_lock():
                out.append((int(stats[0]), int(stats[1]), int(stats[2])))
        return out

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for process in self.processes:
            if process is not None:
                process.join(timeout)
                if process.is_alive():
                    process.kill()
                    process.join(2)


class _Connections:
    """Cameras connect at any time (and again after a restart): accepted on a thread."""

    def __init__(self, listener: Listener) -> None:
        self.listener, self.lock, self.open = listener, threading.Lock(), []  # type: ignore[var-annotated]
        threading.Thread(target=self._accept, name="detector-accept", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn = self.listener.accept()
            except (mp.AuthenticationError, EOFError):  # not one of our cameras
                continue
            except OSError:  # closed at shutdown
                return
            with self.lock:
                self.open.append(conn)

    def current(self) -> list[Connection]:
        with self.lock:
            return list(self.open)

    def drop(self, conn: Connection) -> None:
        with self.lock:
            self.open.remove(conn)
        conn.close()


def run_host(
    address: str,
    authkey: bytes,
    factory: str | RecognizerFactory,
    lpr: LprSettings,
    stop: Any,
    stats: Any,
    lifeline: Any,
) -> None:
    """Entry point of the detector process: listen first, load the models once, then serve.
    Like a camera, it exits as soon as its host is gone (``kill -9`` of a node): nothing else
    would ever stop it, and its models would stay loaded."""
    launch.exit_with_parent(lifeline)
    conns = _Connections(Listener(address, "AF_UNIX", authkey=authkey))
    # ``lpr.threads`` intra-op threads (1 by default), not every core: the cores are shared with
    # the camera workers (decode, motion gate), and an intra-op pool stalls at each sync point on
    # a preempted thread. On a loaded 2-core machine one thread detected about 1.5x the frames
    # per second of two. Throughput comes from serving every waiting camera in one batch.
    recognizer = recognizer_factory(factory)(lpr)
    blocks: dict[str, shared_memory.SharedMemory] = {}
    owned: dict[Connection, set[str]] = {}  # the blocks each camera sent (its own)
    try:
        while not stop.is_set():
            current = conns.current()
            if not current:
                stop.wait(0.05)
                continue
            batch: list[tuple[Connection, DetectRequest]] = []
            for ready in wait(current, timeout=0.2):
                conn: Connection = ready  # type: ignore[assignment]
                try:
                    batch.append((conn, conn.recv()))
                    owned.setdefault(conn, set()).add(batch[-1][1].segment)
                except (EOFError, OSError):
                    conns.drop(conn)
                    _close_all(blocks)  # the others re-attach theirs on their next request
                    _unlink_all(owned.pop(conn, set()))
            if batch:
                _serve_batch(recognizer, batch, blocks, stats)
    finally:
        conns.listener.close()
        _close_all(blocks)


def _unlink_all(names: set[str]) -> None:
    """Remove the blocks of a camera whose connection ended: the camera process is gone (its
    client never closes the connection while it lives). Killed (``kill -9``, the OOM killer),
    it could not remove them itself, and each restart would leave another frame-sized block in
    ``/dev/shm`` until the host stopped. Gone already (a camera that exited cleanly): nothing."""
    for name in names:
        with contextlib.suppress(OSError):
            block = shared_memory.SharedMemory(name=name)
            block.close()
            block.unlink()


def _close_all(blocks: dict[str, shared_memory.SharedMemory]) -> None:
    for block in blocks.values():
        with contextlib.suppress(BufferError, OSError):
            block.close()  # never unlinked here: the camera owns its block
    blocks.clear()


def _serve_batch(
    recognizer: Any,
    batch: list[tuple[Connection, DetectRequest]],
    blocks: dict[str, shared_memory.SharedMemory],
    stats: Any,
) -> None:
    frames = []
    for _, req in batch:
        block = blocks.get(req.segment)
        if block is None:
            block = blocks[req.segment] = shared_memory.SharedMemory(name=req.segment)
        frames.append(np.ndarray(req.shape, np.uint8, buffer=block.buf))
    replies = serve(recognizer, frames)
    del frames
    with stats.get_lock():  # counted before the replies go: a client that has its answer sees it
        stats[0] += len(batch)
        stats[1] += 1
        stats[2] = max(stats[2], len(batch))
    for (conn, _), reply in zip(batch, replies, strict=True):
        with contextlib.suppress(OSError):
            conn.send(reply)
