"""Frames in, plate reads out: the recognizer followed by the per-camera read logic.

``ReadPipeline.process`` is called with each analysed frame and returns the reads that are ready
(previews and finals); ``flush`` closes whatever is still open (end of stream).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from lpr.recognizer import PlateObservation, Recognizer
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
    raw_text: str | None = None


def crop_of(frame: np.ndarray, box: tuple[int, int, int, int], pad: float = 0.15) -> np.ndarray:
    x1, y1, x2, y2 = box
    h, w = frame.shape[:2]
    px, py = int((x2 - x1) * pad), int((y2 - y1) * pad)
    return frame[max(0, y1 - py) : min(h, y2 + py), max(0, x1 - px) : min(w, x2 + px)].copy()


class ReadPipeline:
    """Per-frame reads (each observation is its own final read)."""

    def __init__(self, recognizer: Recognizer, settings: LprSettings, *, key_prefix: str) -> None:
        self.recognizer = recognizer
        self.settings = settings
        self._ids = itertools.count(1)
        self._prefix = key_prefix

    def _accept(self, obs: PlateObservation) -> bool:
        return (
            len(obs.text) >= self.settings.min_length
            and obs.confidence >= self.settings.min_confidence
        )

    def process(self, frame: np.ndarray, at: datetime) -> list[ReadOut]:
        reads = []
        for obs in self.recognizer.recognize(frame):
            if not self._accept(obs):
                continue
            reads.append(
                ReadOut(
                    track_key=f"{self._prefix}-{next(self._ids)}",
                    status="final",
                    plate=obs.text,
                    confidence=obs.confidence,
                    char_confidences=obs.char_confidences,
                    region=None,
                    format_ok=True,
                    frames=1,
                    first_seen=at,
                    last_seen=at,
                    box=obs.box,
                    snapshot=frame,
                    crop=crop_of(frame, obs.box),
                    raw_text=obs.text,
                )
            )
        return reads

    def flush(self, at: datetime) -> list[ReadOut]:
        return []
