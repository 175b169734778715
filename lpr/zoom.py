"""A second look at small, weakly detected plates: the detector again on a crop around the box,
scaled up to the detector's input.

The detector sees a whole frame letterboxed to its input (416 px square): a 35 px plate in a
1280 px frame is 11 px there, and it scores well under the threshold or not at all. Looked at
again on a crop a few plate widths wide, the same plate fills a good part of the input and the
detector is sure of it or finds nothing; the OCR still reads the plate from the full frame.
A second look is only taken where it enlarges the plate at least ``MIN_GAIN`` times, so plates
that are already large in the detector's input (and every plate of a frame no larger than the
input) never pay for it.

The same geometry serves the motion crop (:func:`motion_window`): when what moved in a frame
is small relative to it, the detector looks at that part alone, scaled up to its input, instead
of the whole frame (``lpr.motion_crop_max_share``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

Box = tuple[int, int, int, int]
Detect = Callable[[np.ndarray], Sequence[tuple[Box, float]]]

CONTEXT = 4.0  # crop side in plate widths (and in twice the plate height): plate and vehicle
MIN_GAIN = 2.0  # the crop must be at most half the frame's longer side
MAX_UPSCALE = 4.0  # a crop is never enlarged more than this (sub-10-pixel boxes are noise)
MOTION_PAD = 0.15  # a motion region grows by this share of its longer side on each side
MOTION_MIN_SIDE = 160  # px: a motion crop is never narrower (a plate needs its vehicle around it)


def window(box: Box, frame_size: tuple[int, int], input_side: int) -> Box | None:
    """The square crop (x1, y1, x2, y2) for a second look at ``box`` in a frame of
    ``frame_size`` (width, height), or None when it would not enlarge the plate enough."""
    x1, y1, x2, y2 = box
    width, height = frame_size
    side = max((x2 - x1) * CONTEXT, (y2 - y1) * 2 * CONTEXT, input_side / MAX_UPSCALE)
    side = min(side, width, height)
    if max(width, height) / side < MIN_GAIN:
        return None
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    left = int(round(min(max(cx - side / 2, 0.0), width - side)))
    top = int(round(min(max(cy - side / 2, 0.0), height - side)))
    return left, top, left + int(side), top + int(side)


def _square(cx: float, cy: float, side: float, frame_size: tuple[int, int]) -> Box:
    """A square of ``side`` centred on (cx, cy), shifted into the frame; cut to the frame only
    where the frame is narrower than the square."""
    width, height = frame_size
    w, h = min(side, width), min(side, height)
    left = int(round(min(max(cx - w / 2, 0.0), width - w)))
    top = int(round(min(max(cy - h / 2, 0.0), height - h)))
    return left, top, left + int(round(w)), top + int(round(h))


def motion_window(region: Box, frame_size: tuple[int, int], max_share: float) -> Box | None:
    """The crop (x1, y1, x2, y2) the detector looks at instead of the whole frame when
    ``region`` (what moved, frame pixels) is small: the region padded, made square (the
    detector's input is square: the longer side sets the scale, the rest is free context) and
    kept inside the frame; None when that crop covers more than ``max_share`` of the frame."""
    x1, y1, x2, y2 = region
    width, height = frame_size
    side = max(max(x2 - x1, y2 - y1) * (1 + 2 * MOTION_PAD), MOTION_MIN_SIDE)
    win = _square((x1 + x2) / 2.0, (y1 + y2) / 2.0, side, frame_size)
    if (win[2] - win[0]) * (win[3] - win[1]) > max_share * width * height:
        return None
    return win


def _contains(box: Box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def same_place(a: Box, b: Box) -> bool:
    """True when either box holds the other's centre (two boxes for one plate)."""
    return _contains(a, *_centre(b)) or _contains(b, *_centre(a))


def second_look(
    frame: np.ndarray, box: Box, detect: Detect, input_side: int, threshold: float
) -> tuple[Box, float] | None:
    """The plate the detector finds at ``threshold`` or more on a scaled-up crop around ``box``
    (in frame pixels, with its confidence), or None: no second look here, or no plate there.
    A plate found elsewhere in the crop is not this box's (it has its own first-look box)."""
    height, width = frame.shape[:2]
    win = window(box, (width, height), input_side)
    if win is None:
        return None
    crop = frame[win[1] : win[3], win[0] : win[2]]
    scale = input_side / max(crop.shape[:2])
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    best: tuple[Box, float] | None = None
    for (bx1, by1, bx2, by2), conf in detect(big):
        if conf < threshold:
            continue
        found = (
            win[0] + int(bx1 / scale),
            win[1] + int(by1 / scale),
            min(win[0] + int(round(bx2 / scale)), width),
            min(win[1] + int(round(by2 / scale)), height),
        )
        if not same_place(found, box):
            continue
        if best is None or conf > best[1]:
            best = (found, conf)
    return best
