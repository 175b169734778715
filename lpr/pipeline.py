"""Frames in, plate reads out: the recognizer followed by the per-camera tracker.

``ReadPipeline.process`` is called with each analysed frame and returns the reads that are ready
(a ``preview`` once a plate is read consistently, the ``final`` consensus when the vehicle has
gone; both carry the same ``track_key`` so the final replaces the preview); ``flush`` closes
whatever is still open (end of stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from lpr.recognizer import Recognizer
from lpr.tracker import Tracker, TrackRead
from rtcc.config import LprSettings


@dataclass(frozen=True)
class ReadOut:
    """A plate read ready to be stored: one per vehicle pass (a preview, then the final)."""

    track_key: str
    status: Literal["preview", "final"]
    plate: str
    confidence: float
    char_confidences: tuple[float, ...]
    region: str | None
    format_ok: bool
    frames: int
    first_seen: datetime
    last_seen: datetime
    box: tuple[int, int, int, int]
    snapshot: np.ndarray | None  # the full BGR frame of the best observation
    crop: np.ndarray | None  # the plate crop of the best observation
    raw_text: str | None = None  # the best single frame's own OCR string
    alternatives: tuple[str, ...] = ()  # next likeliest plate strings (for near-miss matching)


def crop_of(frame: np.ndarray, box: tuple[int, int, int, int], pad: float = 0.15) -> np.ndarray:
    x1, y1, x2, y2 = box
    h, w = frame.shape[:2]
    px, py = int((x2 - x1) * pad), int((y2 - y1) * pad)
    return frame[max(0, y1 - py) : min(h, y2 + py), max(0, x1 - px) : min(w, x2 + px)].copy()


def to_read_out(read: TrackRead) -> ReadOut:
    c, best = read.consensus, read.best
    frame = read.best_frame if isinstance(read.best_frame, np.ndarray) else None
    return ReadOut(
        track_key=read.track_key,
        status=read.status,
        plate=c.text,
        confidence=c.confidence,
        char_confidences=c.char_confidences,
        region=best.region,
        format_ok=c.format_ok,
        frames=read.frames,
        first_seen=read.first_seen,
        last_seen=read.last_seen,
        box=best.box,
        snapshot=frame,
        crop=crop_of(frame, best.box) if frame is not None else None,
        raw_text=best.raw_text or best.text,
        alternatives=c.alternatives,
    )


class ReadPipeline:
    """Recognizer + tracker for one camera."""

    def __init__(self, recognizer: Recognizer, settings: LprSettings, *, key_prefix: str) -> None:
        self.recognizer = recognizer
        self.settings = settings
        self.tracker = Tracker(settings, key_prefix=key_prefix)

    def process(self, frame: np.ndarray, at: datetime) -> list[ReadOut]:
        h, w = frame.shape[:2]
        m = self.settings.edge_margin_px
        observations = [
            o
            for o in self.recognizer.recognize(frame)
            if m == 0
            or (o.box[0] >= m and o.box[1] >= m and o.box[2] <= w - m and o.box[3] <= h - m)
        ]
        reads = self.tracker.update(observations, at, frame, frame_size=(w, h))
        return [to_read_out(r) for r in reads]

    def advance(self, at: datetime) -> list[ReadOut]:
        """A frame was not analysed (no motion): finish the tracks that have ended by ``at``."""
        return [to_read_out(r) for r in self.tracker.advance(at)]

    def flush(self, at: datetime) -> list[ReadOut]:
        return [to_read_out(r) for r in self.tracker.flush()]
