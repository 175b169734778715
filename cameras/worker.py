"""One camera's worker process: demux, record, decode, sample, gate on motion, recognise.

Runs in a child process (spawn) and hands plain messages to the core through ``out``. Every
wait is on the one stop flag. Connection failures never end the process: the camera goes
``offline`` or ``error`` and reconnects with capped exponential backoff.

The recognizer comes from an importable factory named in the spec (``"module:function"`` or a
picklable callable taking ``LprSettings``), the fast-alpr models by default; tests drive the real
worker with a scripted one.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cameras.backoff import Backoff
from cameras.health import Counters, StateDamper
from cameras.logs import log_to_parent, parent_level
from cameras.media import live_frame_path, read_media_paths, write_jpeg
from cameras.messages import ReadMessage, StatusMessage
from cameras.motion import MotionGate
from cameras.recorder import SegmentRecorder, recover
from cameras.sources import AvSource, Frame, SourceError
from lpr.pipeline import ReadOut, ReadPipeline
from lpr.recognizer import Recognizer
from rtcc.clock import Clock, SystemClock
from rtcc.config import CameraSettings, LprSettings
from rtcc.errors import ConfigError, RtccError

log = logging.getLogger(__name__)

LIVE_FRAME_INTERVAL_S = 0.5
LIVE_FRAME_MAX_WIDTH = 960
STATUS_INTERVAL_S = 2.0
HEALTHY_AFTER_S = 10.0  # a connection that lasted this long resets the backoff

RecognizerFactory = Callable[[LprSettings], Recognizer]
DEFAULT_RECOGNIZER = "lpr.recognizer:build_recognizer"


@dataclass(frozen=True)
class WorkerSpec:
    camera: CameraSettings
    lpr: LprSettings
    data_dir: Path
    start_offset_s: float = 0.0  # files only: start this far in (the benchmark staggers replays)
    begin_at: float | None = None  # wall time (epoch s) to start streaming; benchmark sync start
    # "module:function" (or a picklable callable) building the recognizer from ``lpr``
    recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER
    # The level the parent's entry point configured (``log_level``), taken when the spec is made.
    log_level: int = field(default_factory=parent_level)


def recognizer_factory(ref: str | RecognizerFactory) -> RecognizerFactory:
    """Resolve ``"package.module:function"`` (or ``"package.module.function"``) to a callable."""
    if not isinstance(ref, str):
        return ref
    module, sep, name = ref.partition(":")
    if not sep:
        module, _, name = ref.rpartition(".")
    try:
        factory = getattr(importlib.import_module(module), name, None) if module and name else None
    except ImportError as exc:
        raise ConfigError(f"recognizer factory {ref!r}: {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"recognizer factory {ref!r}: no such callable")
    return factory  # type: ignore[no-any-return]


def _emit_read(spec: WorkerSpec, out: Any, read: ReadOut) -> None:
    cam, record = spec.camera.id, read.record
    snap_rel, crop_rel = read_media_paths(
        cam, record.track_key, record.first_seen, str(record.status)
    )
    snapshot = crop = None
    if read.snapshot is not None:
        write_jpeg(spec.data_dir / snap_rel, read.snapshot)
        snapshot = snap_rel
    if read.crop is not None and read.crop.size:
        write_jpeg(spec.data_dir / crop_rel, read.crop, quality=92)
        crop = crop_rel
    out.put(ReadMessage(cam, record, snapshot, crop))


def _live_image(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= LIVE_FRAME_MAX_WIDTH:
        return image
    size = (LIVE_FRAME_MAX_WIDTH, round(h * LIVE_FRAME_MAX_WIDTH / w))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class CameraWorker:
    """The state of one camera across connections."""

    def __init__(self, spec: WorkerSpec, out: Any, stop: Any, clock: Clock) -> None:
        self.spec, self.cam, self.out, self.stop, self.clock = spec, spec.camera, out, stop, clock
        self.counters = Counters(clock.monotonic())
        self.damper = StateDamper(clock.monotonic)
        self.gate = MotionGate(self.cam.motion)
        self.backoff = Backoff(cap_s=self.cam.reconnect_max_s)
        self.state = "starting"
        self.message: str | None = None
        self.last_frame_at: Any = None
        self._last_status = self._last_live = -1e18
        self.recorder = (
            SegmentRecorder(camera_id=self.cam.id, data_dir=spec.data_dir,
                            segment_s=self.cam.segment_seconds, emit=out.put)
            if self.cam.record else None
        )
        self.pipeline: ReadPipeline | None = None

    def status(self, state: str, message: str | None = None, *, force: bool = False) -> None:
        now_mono = self.clock.monotonic()
        # The reason of a degraded camera changes with every figure: it rides on the periodic
        # report instead of sending a message per frame.
        changed = state != self.state or (message != self.message and state != "degraded")
        if not (changed or force or now_mono - self._last_status >= STATUS_INTERVAL_S):
            return
        self.state, self.message, self._last_status = state, message, now_mono
        c = self.counters
        self.out.put(StatusMessage(
            self.cam.id, state, self.clock.now(), message, c.input_fps, c.analysed_fps,
            c.sampling_skipped, self.last_frame_at, c.reconnects, c.motion_skipped, c.analysed,
            c.lag_s, c.max_lag_s, decoded_frames=c.decoded,
        ))

    def run(self) -> None:
        self.status("starting", force=True)
        if self.recorder is not None:
            recover(camera_id=self.cam.id, data_dir=self.spec.data_dir, emit=self.out.put)
        if self.cam.lpr:  # without plate recognition nothing is decoded: no models either
            recognizer = recognizer_factory(self.spec.recognizer)(self.spec.lpr)
            self.pipeline = ReadPipeline(recognizer, self.spec.lpr)
        if self.spec.begin_at is not None:
            self.stop.wait(max(0.0, self.spec.begin_at - time.time()))
        while not self.stop.is_set():
            began = self.clock.monotonic()
            try:
                self._connection()
                if self.stop.is_set():
                    break
                if not self.cam.loop:
                    self.status("offline", "end of file")
                    self.stop.wait()
                    break
            except SourceError as exc:
                if self.stop.is_set():
                    break
                log.warning("camera %s: %s", self.cam.id, exc.message)
                self.status(exc.state, exc.message)
                if self.recorder is not None:
                    self.recorder.gap_reason = self.recorder.gap_reason or exc.message
            if self.clock.monotonic() - began >= HEALTHY_AFTER_S:
                self.backoff.reset()
            self.counters.reconnects += 1
            if self.stop.wait(self.backoff.next()):
                break

    def _connection(self) -> None:
        source = AvSource(self.cam, self.clock, wait=self.stop.wait,
                          start_offset_s=self.spec.start_offset_s)
        source.open()
        self.counters.reset_rates(self.clock.monotonic())
        self.damper.reset()
        interval = 1.0 / self.cam.detect_fps
        sampler = _Sampler(interval)
        last_frame = self.clock.monotonic()
        frame_s = 1.0 / source.nominal_fps if source.nominal_fps else 0.0
        decode = self.cam.lpr  # a camera without plate recognition is stream copy only
        try:
            for packet in source.packets():
                if self.stop.is_set():
                    break
                frames = source.decode(packet) if decode else []
                for frame in frames:
                    self._frame(frame, sampler, source)
                stamp = source.packet_time(packet)
                if self.recorder is not None and stamp is not None:
                    self.recorder.write(packet, source.stream, *stamp)
                if not decode and stamp is not None:
                    self._packet(stamp, source)
                now = self.clock.monotonic()
                if frames or (not decode and stamp is not None):
                    last_frame = now
                elif now - last_frame > self.cam.read_timeout_s:
                    raise SourceError(f"{source.where}: no frames for "
                                      f"{self.cam.read_timeout_s:g} s", state="offline")
        finally:
            source.close()
            if self.recorder is not None:
                self.recorder.close(frame_s)
            if self.pipeline is not None:
                for read in self.pipeline.flush(self.clock.now()):
                    _emit_read(self.spec, self.out, read)

    def _frame(self, frame: Frame, sampler: _Sampler, source: AvSource) -> None:
        c = self.counters
        mono = self.clock.monotonic()
        self.last_frame_at = frame.at
        image: np.ndarray | None = None
        sampled = sampler.take(frame.t)
        analysed = False
        if sampled:
            image = frame.bgr()
            if self.gate.moved(image, frame.t):
                analysed = True
                assert self.pipeline is not None
                for read in self.pipeline.process(image, frame.at):
                    _emit_read(self.spec, self.out, read)
            else:
                c.motion_skipped += 1
                assert self.pipeline is not None
                for read in self.pipeline.advance(frame.at):
                    _emit_read(self.spec, self.out, read)
        else:
            c.sampling_skipped += 1
        c.frame(analysed=analysed)
        c.lag(source.elapsed() - frame.t if not source.live else 0.0)
        if mono - self._last_live >= LIVE_FRAME_INTERVAL_S:
            self._last_live = mono
            image = image if image is not None else frame.bgr()
            write_jpeg(live_frame_path(self.spec.data_dir, self.cam.id), _live_image(image), 70)
        c.tick(self.clock.monotonic())
        self._report(source)

    def _packet(self, stamp: tuple[float, Any], source: AvSource) -> None:
        """Health of a camera that is never decoded: packets count as frames."""
        t, at = stamp
        c = self.counters
        self.last_frame_at = at
        c.packet()
        c.lag(source.elapsed() - t if not source.live else 0.0)
        c.tick(self.clock.monotonic())
        self._report(source)

    def _report(self, source: AvSource) -> None:
        c = self.counters
        if self.recorder is not None and self.recorder.error is not None:
            self.status("error", self.recorder.error)
            return
        state, why = self.damper.update(
            input_fps=c.input_fps, nominal_fps=source.nominal_fps, lag_s=c.lag_s)
        self.status(state, why)


class _Sampler:
    """Pick frames at ``interval`` seconds of media time without drifting."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next_t: float | None = None

    def take(self, t: float) -> bool:
        if self.next_t is not None and t + 1e-3 < self.next_t:
            return False
        if self.next_t is None or t - self.next_t >= self.interval:
            self.next_t = t + self.interval  # first frame, or after a gap: restart the grid
        else:
            self.next_t += self.interval
        return True


def run_worker(spec: WorkerSpec, out: Any, stop: Any) -> None:
    """Entry point of the child process; ``out`` has ``put``, ``stop`` has ``wait``/``is_set``."""
    log_to_parent(out, spec.log_level)
    cv2.setNumThreads(1)
    worker = CameraWorker(spec, out, stop, SystemClock())
    try:
        worker.run()
    except RtccError as exc:  # a source that cannot work, a recognizer that cannot load
        worker.status("error", exc.message, force=True)
        raise
