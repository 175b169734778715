"""Frames in, plate reads out: the recognizer followed by the per-camera tracker.

``ReadPipeline.process`` is called with each analysed frame and returns the reads that are ready
(a ``preview`` once a plate is read consistently, the ``final`` consensus when the vehicle has
gone; both carry the same ``track_key`` so the final replaces the preview); ``flush`` closes
whatever is still open (end of stream).

The camera worker also passes where the frame moved (``motion``, a box in frame pixels). When
that region, with the plates being tracked, is small relative to the frame
(``lpr.motion_crop_max_share``), the recognizer looks at that crop alone: the detector scales it
up to its input, so small plates get more pixels there, at the same cost per call. Its boxes are
moved back into frame pixels, so tracks, snapshots and plate crops never see the crop. The crop
is made here, before the recognizer, so a shared detector host gets a smaller frame and nothing
else changes. With ``lpr.masks`` (in frame pixels, applied by the recognizer) it is never made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from lpr import zoom
from lpr.recognizer import PlateObservation, Recognizer
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


def shifted(obs: PlateObservation, dx: int, dy: int) -> PlateObservation:
    """``obs`` seen in a crop whose top left corner is (dx, dy) of the frame, in frame pixels."""
    if dx == dy == 0:
        return obs
    x1, y1, x2, y2 = obs.box
    return replace(obs, box=(x1 + dx, y1 + dy, x2 + dx, y2 + dy))


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

    def process(
        self, frame: np.ndarray, at: datetime, motion: zoom.Box | None = None
    ) -> list[ReadOut]:
        """Recognise ``frame`` (taken at ``at``; ``motion``: where it moved, frame pixels)."""
        h, w = frame.shape[:2]
        win = self.look_at((w, h), motion)
        observations = self._observe(frame, win or (0, 0, w, h))
        reads = self.tracker.update(observations, at, frame, frame_size=(w, h))
        return [to_read_out(r) for r in reads]

    def look_at(self, frame_size: tuple[int, int], motion: zoom.Box | None) -> zoom.Box | None:
        """The crop the recognizer looks at instead of the whole frame, or None (the whole
        frame): ``motion`` joined with the last box of every open track (a stopped car still
        in view keeps its track), when that is small enough."""
        share = self.settings.motion_crop_max_share
        if share is None or motion is None or self.settings.masks:
            return None
        boxes = [motion, *[t.box for t in self.tracker.tracks]]
        union = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        return zoom.motion_window(union, frame_size, share)

    def _observe(self, frame: np.ndarray, win: zoom.Box) -> list[PlateObservation]:
        """The plates in the ``win`` part of ``frame``, in frame pixels. A plate within
        ``edge_margin_px`` of the part's border is cut off (by the frame or by the crop)."""
        x1, y1, x2, y2 = win
        whole = win == (0, 0, frame.shape[1], frame.shape[0])
        image = frame if whole else np.ascontiguousarray(frame[y1:y2, x1:x2])
        w, h, m = x2 - x1, y2 - y1, self.settings.edge_margin_px
        return [
            shifted(o, x1, y1)
            for o in self.recognizer.recognize(image)
            if m == 0
            or (o.box[0] >= m and o.box[1] >= m and o.box[2] <= w - m and o.box[3] <= h - m)
        ]

    def advance(self, at: datetime) -> list[ReadOut]:
        """A frame was not analysed (no motion): finish the tracks that have ended by ``at``."""
        return [to_read_out(r) for r in self.tracker.advance(at)]

    def flush(self, at: datetime) -> list[ReadOut]:
        return [to_read_out(r) for r in self.tracker.flush()]
