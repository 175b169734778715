"""One camera's worker process: decode, sample at detect_fps, recognise, hand reads to the core.

Runs in a child process (spawn). Every wait is on the one ``stop_event``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from cameras.media import live_frame_path, read_media_paths, write_jpeg
from cameras.messages import ReadMessage, StatusMessage
from cameras.sources import SourceError, open_source, redact_url
from lpr.pipeline import ReadOut, ReadPipeline
from lpr.recognizer import build_recognizer
from rtcc.clock import Clock, SystemClock
from rtcc.config import CameraSettings, LprSettings

log = logging.getLogger(__name__)

LIVE_FRAME_INTERVAL_S = 0.5
STATUS_INTERVAL_S = 2.0
RETRY_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class WorkerSpec:
    camera: CameraSettings
    lpr: LprSettings
    data_dir: Path


class _Stats:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.window_start = clock.monotonic()
        self.frames = 0
        self.analysed = 0
        self.skipped = 0
        self.input_fps = 0.0
        self.analysed_fps = 0.0

    def tick(self) -> None:
        elapsed = self.clock.monotonic() - self.window_start
        if elapsed >= 2.0:
            self.input_fps = self.frames / elapsed
            self.analysed_fps = self.analysed / elapsed
            self.frames = self.analysed = 0
            self.window_start = self.clock.monotonic()


def _emit_read(spec: WorkerSpec, out: Any, read: ReadOut) -> None:
    cam = spec.camera.id
    snap_rel, crop_rel = read_media_paths(cam, read.track_key, read.first_seen)
    snapshot = crop = None
    if read.snapshot is not None:
        write_jpeg(spec.data_dir / snap_rel, read.snapshot)
        snapshot = snap_rel
    if read.crop is not None and read.crop.size:
        write_jpeg(spec.data_dir / crop_rel, read.crop, quality=92)
        crop = crop_rel
    out.put(
        ReadMessage(
            camera_id=cam,
            track_key=read.track_key,
            status=read.status,
            plate=read.plate,
            confidence=read.confidence,
            char_confidences=read.char_confidences,
            region=read.region,
            format_ok=read.format_ok,
            frames=read.frames,
            first_seen=read.first_seen,
            last_seen=read.last_seen,
            box=read.box,
            snapshot_path=snapshot,
            crop_path=crop,
            raw_text=read.raw_text,
        )
    )


def _stream(spec: WorkerSpec, out: Any, stop: Any, pipeline: ReadPipeline, clock: Clock) -> None:
    cam = spec.camera
    source = open_source(cam)
    stats = _Stats(clock)
    interval = 1.0 / cam.detect_fps
    next_sample_pts = 0.0
    wall_start = clock.monotonic()
    last_live = last_status = -1e9
    out.put(StatusMessage(cam.id, "online", clock.now(), None))
    try:
        for frame in source.frames():
            if stop.is_set():
                break
            if cam.realtime:
                delay = frame.pts - (clock.monotonic() - wall_start)
                if delay > 0 and stop.wait(delay):
                    break
            stats.frames += 1
            now = clock.now()
            if frame.pts + 1e-6 >= next_sample_pts:
                next_sample_pts = frame.pts + interval
                stats.analysed += 1
                for read in pipeline.process(frame.image, now):
                    _emit_read(spec, out, read)
            else:
                stats.skipped += 1
            mono = clock.monotonic()
            if mono - last_live >= LIVE_FRAME_INTERVAL_S:
                last_live = mono
                write_jpeg(live_frame_path(spec.data_dir, cam.id), frame.image, quality=70)
            stats.tick()
            if mono - last_status >= STATUS_INTERVAL_S:
                last_status = mono
                out.put(
                    StatusMessage(
                        cam.id, "online", now, None, stats.input_fps, stats.analysed_fps,
                        stats.skipped, now,
                    )
                )
        for read in pipeline.flush(clock.now()):
            _emit_read(spec, out, read)
    finally:
        source.close()


def run_worker(spec: WorkerSpec, out: Any, stop: Any) -> None:
    """Entry point of the child process."""
    logging.basicConfig(level=logging.INFO, format="%(processName)s %(levelname)s %(message)s")
    cv2.setNumThreads(1)
    clock = SystemClock()
    cam = spec.camera
    out.put(StatusMessage(cam.id, "starting", clock.now()))
    pipeline = ReadPipeline(build_recognizer(spec.lpr), spec.lpr, key_prefix=f"{int(time.time())}")
    attempt = 0
    while not stop.is_set():
        try:
            _stream(spec, out, stop, pipeline, clock)
            if not cam.loop:
                out.put(StatusMessage(cam.id, "offline", clock.now(), "end of file"))
                stop.wait()
                break
        except SourceError as exc:
            out.put(StatusMessage(cam.id, "error", clock.now(), exc.message))
            log.warning("camera %s: %s", cam.id, redact_url(exc.message))
        wait = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
        attempt += 1
        if stop.wait(wait):
            break
