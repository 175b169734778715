"""Frames in, plate reads out: the recognizer followed by the per-camera tracker.

``ReadPipeline.process`` is called with each analysed frame and returns the reads that are ready
(a ``preview`` once a plate is read consistently, the ``final`` consensus when the vehicle has
gone; both carry the same ``track_key`` so the final replaces the preview); ``flush`` closes
whatever is still open (end of stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from lpr.recognizer import Recognizer
from lpr.tracker import Tracker, TrackRead
from rtcc.config import LprSettings
from rtcc.plates import PlateReadRecord


@dataclass(frozen=True)
class ReadOut:
    """A plate read ready to be stored: one per vehicle pass (a preview, then the final)."""

    record: PlateReadRecord
    snapshot: np.ndarray | None  # the full BGR frame of the best observation
    crop: np.ndarray | None  # the plate crop of the best observation


def crop_of(frame: np.ndarray, box: tuple[int, int, int, int], pad: float = 0.15) -> np.ndarray:
    x1, y1, x2, y2 = box
    h, w = frame.shape[:2]
    px, py = int((x2 - x1) * pad), int((y2 - y1) * pad)
    return frame[max(0, y1 - py) : min(h, y2 + py), max(0, x1 - px) : min(w, x2 + px)].copy()


def to_read_out(read: TrackRead) -> ReadOut:
    frame = read.best_frame if isinstance(read.best_frame, np.ndarray) else None
    crop = crop_of(frame, read.best.box) if frame is not None else None
    return ReadOut(read.record, frame, crop)


class ReadPipeline:
    """Recognizer + tracker for one camera."""

    def __init__(
        self, recognizer: Recognizer, settings: LprSettings, *, key_prefix: str = ""
    ) -> None:
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
