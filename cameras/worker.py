"""One camera's worker process: demux, record, decode, sample, gate on motion, recognise.

Runs in a child process (spawn) and hands plain messages to the core through ``out``. Every
wait is on the one stop flag. Connection failures never end the process: the camera goes
``offline`` or ``error`` and reconnects with capped exponential backoff.

A camera with plate recognition and a ``detect_url`` substream holds two connections
(:func:`links_of`): the substream is decoded for analysis (reads, snapshots, the live JPEG) and
``url``, the main stream, is only stream-copied into segments, on a second thread with its own
backoff. The camera's one state combines both (:func:`cameras.health.camera_state`): either
stream down makes it ``degraded`` and says which and what is lost.

The recognizer comes from an importable factory named in the spec (``"module:function"`` or a
picklable callable taking ``LprSettings``), the fast-alpr models by default; tests drive the real
worker with a scripted one.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from cameras.backoff import Backoff
from cameras.health import Counters, StateDamper, camera_state
from cameras.live_feed import LiveFeeds
from cameras.logs import log_to_parent, parent_level
from cameras.media import MediaStore, read_media_paths
from cameras.messages import ReadMessage, StatusMessage
from cameras.motion import MotionGate
from cameras.pacing import DecodeMode, Pacer, Sampler
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


@dataclass
class Link:
    """One connection of a worker: the stream it reads and what it does with it."""

    role: str  # "main" (url) or "detect" (detect_url)
    camera: CameraSettings  # the camera with ``url`` set to this link's stream
    decode: bool  # decoded for plate recognition
    record: bool  # stream-copied into segments
    backoff: Backoff
    state: tuple[str, str | None] = ("starting", None)


def links_of(cam: CameraSettings) -> list[Link]:
    """The connections a worker holds, the analysed one first. Only a camera that is both
    analysed and recorded with a ``detect_url`` needs two: analysis on the substream, recording
    of the main stream; a camera without plate recognition never opens its substream here."""

    def link(role: str, url: str, *, decode: bool, record: bool) -> Link:
        return Link(
            role,
            cam.model_copy(update={"url": url}),
            decode,
            record,
            Backoff(cap_s=cam.reconnect_max_s),
        )

    if cam.lpr and cam.detect_url:
        detect = link("detect", cam.detect_url, decode=True, record=False)
        return (
            [detect, link("main", cam.url, decode=False, record=True)] if cam.record else [detect]
        )
    return [link("main", cam.url, decode=cam.lpr, record=cam.record)]


def _emit_read(media: MediaStore, out: Any, read: ReadOut) -> None:
    """Save the read's photos and send it; a photo the disk refused is sent as missing (None):
    a read without its photo still reaches the hotlists, a lost read would not."""
    cam, record = media.camera_id, read.record
    snap_rel, crop_rel = read_media_paths(
        cam, record.track_key, record.first_seen, str(record.status)
    )
    snapshot = crop = None
    if read.snapshot is not None:
        snapshot = media.save(snap_rel, read.snapshot)
    if read.crop is not None and read.crop.size:
        crop = media.save(crop_rel, read.crop, quality=92)
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
        self.links = links_of(self.cam)
        self.backoff = self.links[0].backoff
        self.state = "starting"
        self.message: str | None = None
        self.last_frame_at: Any = None
        self._last_status = self._last_live = -1e18
        self._lock = threading.Lock()  # two links report from two threads
        self.recorder = (
            SegmentRecorder(
                camera_id=self.cam.id,
                data_dir=spec.data_dir,
                segment_s=self.cam.segment_seconds,
                emit=out.put,
            )
            if self.cam.record
            else None
        )
        self.pipeline: ReadPipeline | None = None
        self.media = MediaStore(spec.data_dir, self.cam.id)
        # live viewers of this machine get the packets of our connections (cameras.live_feed)
        self.live = LiveFeeds(spec.data_dir, self.cam.id, [link.role for link in self.links])

    def status(self, state: str, message: str | None = None, *, force: bool = False) -> None:
        """Report the state of the analysed (first) link; the camera's state combines it with
        the recording link's, if there is one, and with a recording failure (disk full)."""
        self.links[0].state = (state, message)
        self._publish(force=force)

    def _publish(self, *, force: bool = False) -> None:
        recording = self.links[1].state if len(self.links) > 1 else None
        failures = (self.recorder.error if self.recorder is not None else None, self.media.error)
        error = "; ".join(e for e in failures if e) or None  # a full disk
        state, message = camera_state(self.links[0].state, recording, recorder_error=error)
        with self._lock:
            now_mono = self.clock.monotonic()
            # The reason of a degraded camera changes with every figure: it rides on the
            # periodic report instead of sending a message per frame.
            changed = state != self.state or (message != self.message and state != "degraded")
            if not (changed or force or now_mono - self._last_status >= STATUS_INTERVAL_S):
                return
            self.state, self.message, self._last_status = state, message, now_mono
            c = self.counters
            self.out.put(
                StatusMessage(
                    self.cam.id,
                    state,
                    self.clock.now(),
                    message,
                    c.input_fps,
                    c.analysed_fps,
                    c.sampling_skipped,
                    self.last_frame_at,
                    c.reconnects,
                    c.motion_skipped,
                    c.analysed,
                    c.lag_s,
                    c.max_lag_s,
                    decoded_frames=c.decoded,
                    overload_skipped=c.overload_skipped,
                )
            )

    def _link_state(self, link: Link, state: str, message: str | None = None) -> None:
        if link is self.links[0]:
            self.status(state, message)
        else:
            link.state = (state, message)
            self._publish()

    def run(self) -> None:
        self.status("starting", force=True)
        if self.recorder is not None:
            recover(camera_id=self.cam.id, data_dir=self.spec.data_dir, emit=self.out.put)
        if self.cam.lpr:  # without plate recognition nothing is decoded: no models either
            recognizer = recognizer_factory(self.spec.recognizer)(self.spec.lpr)
            self.pipeline = ReadPipeline(recognizer, self.spec.lpr)
        if self.spec.begin_at is not None:
            self.stop.wait(max(0.0, self.spec.begin_at - time.time()))
        self.live.start()
        others = [
            threading.Thread(
                target=self._keep_connected,
                args=(link,),
                daemon=True,
                name=f"camera-{self.cam.id}-{link.role}",
            )
            for link in self.links[1:]
        ]
        for thread in others:
            thread.start()
        self._keep_connected(self.links[0])
        for thread in others:
            thread.join()

    def _keep_connected(self, link: Link) -> None:
        """Connect ``link``, and reconnect it with backoff until the stop flag is set."""
        while not self.stop.is_set():
            began = self.clock.monotonic()
            try:
                self._connection(link)
                if self.stop.is_set():
                    break
                if not self.cam.loop:
                    self._link_state(link, "offline", "end of file")
                    self.stop.wait()
                    break
            except SourceError as exc:
                if self.stop.is_set():
                    break
                log.warning("camera %s: %s", self.cam.id, exc.message)
                self._link_state(link, exc.state, exc.message)
                if self.recorder is not None and link.record:
                    self.recorder.gap_reason = self.recorder.gap_reason or exc.message
            if self.clock.monotonic() - began >= HEALTHY_AFTER_S:
                link.backoff.reset()
            with self._lock:
                self.counters.reconnects += 1
            if self.stop.wait(link.backoff.next()):
                break

    def _connection(self, link: Link) -> None:
        source = AvSource(
            link.camera, self.clock, wait=self.stop.wait, start_offset_s=self.spec.start_offset_s
        )
        source.open()
        analysed = link is self.links[0]
        if analysed:
            self.counters.reset_rates(self.clock.monotonic())
            self.damper.reset()
        else:
            self._link_state(link, "online")
        sampler = Sampler(1.0 / self.cam.detect_fps)
        last_frame = self.clock.monotonic()
        frame_s = 1.0 / source.nominal_fps if source.nominal_fps else 0.0
        recorder = self.recorder if link.record else None
        try:
            pacer = (
                Pacer(self.cam.detect_fps, source.nominal_fps, source.live,
                      keyframes_when_still=self.cam.motion.keyframes_when_still,
                      drop_stale=self.spec.lpr.drop_stale_frames)
                if link.decode else None
            )
            for packet in source.packets():
                if self.stop.is_set():
                    break
                frames: list[Frame] = []
                if pacer is not None:  # what to decode; input counts packets
                    pacer.arrived(packet, source.stream, self.clock.monotonic(), self.gate.closed)
                    self.counters.packet()
                    frames = source.decode(packet)
                    for frame in frames:
                        self._frame(frame, sampler, source, pacer)
                stamp = source.packet_time(packet)
                self.live.feed(link.role, packet, source.stream, stamp)  # before the recorder
                if recorder is not None and stamp is not None:
                    recorder.write(packet, source.stream, *stamp)
                if not link.decode and stamp is not None:
                    if analysed:
                        self._packet(stamp, source)
                    else:
                        self._publish()  # a recording failure shows at the periodic report
                now = self.clock.monotonic()
                if pacer is not None:
                    pacer.done(now)
                keyframes_only = pacer is None or pacer.decoding is DecodeMode.KEYFRAMES
                if frames or (keyframes_only and stamp is not None):  # alive
                    last_frame = now
                elif now - last_frame > self.cam.read_timeout_s:
                    raise SourceError(
                        f"{source.where}: no frames for {self.cam.read_timeout_s:g} s",
                        state="offline",
                    )
        finally:
            source.close()
            if recorder is not None:
                recorder.close(frame_s)
            if self.pipeline is not None and link.decode:
                for read in self.pipeline.flush(self.clock.now()):
                    _emit_read(self.media, self.out, read)

    def _frame(self, frame: Frame, sampler: Sampler, source: AvSource, pacer: Pacer) -> None:
        c = self.counters
        mono = self.clock.monotonic()
        self.last_frame_at = frame.at
        image: np.ndarray | None = None
        behind = pacer.behind(source.elapsed() - frame.t, mono)
        analysed = False
        assert self.pipeline is not None
        if sampler.take(frame.t):
            # A stale frame (the recognizer is behind) is never analysed: decoding goes on to
            # a current one. Unless the gate is open anyway, it still looks for motion (cheap).
            stale = pacer.stale(behind)
            if stale and self.gate.holding(frame.t):
                c.overload()
            else:
                image = frame.bgr()
                if not self.gate.moved(image, frame.t):
                    c.motion_skipped += 1
                    for read in self.pipeline.advance(frame.at):
                        _emit_read(self.media, self.out, read)
                elif stale:
                    c.overload()
                else:
                    analysed = True
                    for read in self.pipeline.process(image, frame.at, self.gate.region):
                        _emit_read(self.media, self.out, read)
        else:
            c.sampling_skipped += 1
        c.frame(analysed=analysed)
        c.lag(source.elapsed() - frame.t if not source.live else behind)
        if mono - self._last_live >= LIVE_FRAME_INTERVAL_S and not pacer.stale(behind):
            self._last_live = mono
            image = image if image is not None else frame.bgr()
            self.media.live(_live_image(image))
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
        state, why = self.damper.update(
            input_fps=c.input_fps,
            nominal_fps=source.nominal_fps,
            lag_s=c.lag_s,
            analysed_share=c.analysed_share,
            detect_fps=self.cam.detect_fps,
        )
        self.status(state, why)


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
    finally:
        worker.live.close()
