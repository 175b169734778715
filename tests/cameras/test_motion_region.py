"""Where a frame moved (``MotionGate.region``): the box the read pipeline may crop to."""

from __future__ import annotations

import numpy as np

from cameras.motion import MotionGate
from rtcc.config import MotionSettings


def _scene(*vehicles: int, speck: bool = False) -> np.ndarray:
    img = np.full((720, 1280, 3), 90, np.uint8)
    for x in vehicles:
        img[300:500, x : x + 250] = 230  # a bright "vehicle", 250 x 200 px
    if speck:
        img[40:48, 1200:1208] = 250  # one gate pixel's worth: noise, a fly
    return img


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    x1, y1, x2, y2 = inner
    return outer[0] <= x1 and outer[1] <= y1 and x2 <= outer[2] and y2 <= outer[3]


def test_region_covers_where_the_vehicle_was_and_is_and_little_else() -> None:
    gate = MotionGate(MotionSettings(), hold_s=1.0)
    assert gate.moved(_scene(100), 0.0) and gate.region is None  # nothing to compare with
    assert gate.moved(_scene(180, speck=True), 0.2)
    region = gate.region
    assert region is not None
    assert _inside((100, 300, 430, 500), region)  # old and new position
    x1, y1, x2, y2 = region
    assert x1 >= 60 and y1 >= 260 and x2 <= 470 and y2 <= 540  # a gate pixel or two of slack
    assert x2 < 1200  # the speck is left out


def test_no_region_while_the_gate_is_only_holding_or_disabled() -> None:
    gate = MotionGate(MotionSettings(), hold_s=1.0)
    gate.moved(_scene(100), 0.0)
    assert gate.moved(_scene(180), 0.2) and gate.region is not None
    assert gate.moved(_scene(180), 0.4)  # the vehicle stopped: open on the hold
    assert gate.region is None  # nothing moved: the pipeline looks at the whole frame
    off = MotionGate(MotionSettings(enabled=False))
    off.moved(_scene(100), 0.0)
    assert off.moved(_scene(180), 0.2) and off.region is None


def test_region_leaves_out_masked_motion() -> None:
    mask = [[(0, 250), (600, 250), (600, 550), (0, 550)]]
    gate = MotionGate(MotionSettings(masks=mask), hold_s=0.0)
    gate.moved(_scene(100, 900), 0.0)
    assert gate.moved(_scene(180, 980), 0.2)  # both move; only the right one counts
    region = gate.region
    assert region is not None and region[0] >= 860 and _inside((900, 300, 1230, 500), region)
