"""The motion gate: run plate recognition only on frames where something moved.

Cheap frame differencing on a small grey image: blur, absolute difference to the previous
sampled frame, ignore masked pixels, and call it motion when enough pixels changed enough.
After motion the gate stays open for ``hold_s`` so a vehicle that stops is still read.

``region`` is where this frame moved: the union box (frame pixels) of the blobs of changed
pixels, specks left out; the read pipeline may run the detector on it alone
(``lpr.motion_crop_max_share``). None when nothing moved enough in this frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from rtcc.config import MotionSettings

GATE_WIDTH = 160
MIN_BLOB_PX = 4  # a changed blob smaller than this (gate pixels, after dilation) is a speck

Box = tuple[int, int, int, int]


def thresholds(sensitivity: float) -> tuple[int, float]:
    """(per-pixel grey change, share of pixels) that count as motion for a sensitivity 0..1."""
    s = min(1.0, max(0.0, sensitivity))
    pixel = int(round(12 + (1.0 - s) * 36))  # 48 (dull) .. 12 (keen); 0.5 -> 30
    share = 0.0005 + 0.02 * (1.0 - s) ** 2  # 2.05 % .. 0.05 %; 0.5 -> 0.55 %
    return pixel, share


class MotionGate:
    def __init__(self, settings: MotionSettings, *, hold_s: float = 1.0) -> None:
        self.enabled = settings.enabled
        self.masks = settings.masks
        self.pixel_threshold, self.share_threshold = thresholds(settings.sensitivity)
        self.hold_s = hold_s
        self._prev: np.ndarray | None = None
        self._keep: np.ndarray | None = None  # 1 where pixels count
        self._open_until = -1e18
        self.last_share = 0.0
        self.closed = False  # the last frame looked at was still (and the hold is over)
        self.region: Box | None = None  # where the last frame looked at moved (frame pixels)

    def _small(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        size = (GATE_WIDTH, max(1, round(h * GATE_WIDTH / w)))
        grey = cv2.cvtColor(
            cv2.resize(frame, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
        )
        if self._keep is None or self._keep.shape != grey.shape:
            self._keep = self._mask(grey.shape, GATE_WIDTH / w)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def _mask(self, shape: tuple[int, ...], scale: float) -> np.ndarray:
        keep = np.ones(shape[:2], np.uint8)
        for poly in self.masks:
            pts = np.array([[round(x * scale), round(y * scale)] for x, y in poly], np.int32)
            cv2.fillPoly(keep, [pts], 0)
        return keep

    def holding(self, t: float) -> bool:
        """True while the gate is open at media time ``t`` without looking (or disabled)."""
        return not self.enabled or t <= self._open_until

    def moved(self, frame: np.ndarray, t: float) -> bool:
        """True when recognition should run on this frame (media time ``t`` in seconds)."""
        self.closed = not self._moved(frame, t)
        return not self.closed

    def _moved(self, frame: np.ndarray, t: float) -> bool:
        self.region = None
        if not self.enabled:
            return True
        grey = self._small(frame)
        prev, self._prev = self._prev, grey
        if prev is None:
            self._open_until = t + self.hold_s
            return True  # nothing to compare with yet: look once
        assert self._keep is not None
        changed = (cv2.absdiff(grey, prev) > self.pixel_threshold) & (self._keep > 0)
        counted = int(self._keep.sum()) or 1
        self.last_share = float(changed.sum()) / counted
        if self.last_share >= self.share_threshold:
            self._open_until = t + self.hold_s
            self.region = region_of(changed, (frame.shape[1], frame.shape[0]))
        return t <= self._open_until


def region_of(changed: np.ndarray, frame_size: tuple[int, int]) -> Box | None:
    """The union box, in pixels of a frame of ``frame_size`` (width, height), of the blobs of
    ``changed`` (a boolean image of the gate's size) that are not specks; None if all are."""
    blobs = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    kept = [stats[i] for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= MIN_BLOB_PX]
    if not kept:
        return None
    x1 = min(int(s[cv2.CC_STAT_LEFT]) for s in kept)
    y1 = min(int(s[cv2.CC_STAT_TOP]) for s in kept)
    x2 = max(int(s[cv2.CC_STAT_LEFT] + s[cv2.CC_STAT_WIDTH]) for s in kept)
    y2 = max(int(s[cv2.CC_STAT_TOP] + s[cv2.CC_STAT_HEIGHT]) for s in kept)
    sx, sy = frame_size[0] / changed.shape[1], frame_size[1] / changed.shape[0]
    return (
        int(x1 * sx),
        int(y1 * sy),
        min(int(np.ceil(x2 * sx)), frame_size[0]),
        min(int(np.ceil(y2 * sy)), frame_size[1]),
    )
