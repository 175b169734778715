from __future__ import annotations

import numpy as np

from cameras.motion import MotionGate, thresholds
from rtcc.config import MotionSettings


def _scene(x: int | None = None) -> np.ndarray:
    img = np.full((720, 1280, 3), 90, np.uint8)
    if x is not None:
        img[300:500, x : x + 250] = 230  # a bright "vehicle"
    return img


def test_still_scene_is_skipped_after_the_hold() -> None:
    gate = MotionGate(MotionSettings(), hold_s=1.0)
    assert gate.moved(_scene(), 0.0)  # first frame: nothing to compare with
    assert gate.moved(_scene(), 0.5)  # still inside the hold
    assert not gate.moved(_scene(), 1.2)
    assert not gate.moved(_scene(), 5.0)


def test_moving_object_opens_the_gate() -> None:
    gate = MotionGate(MotionSettings(), hold_s=0.0)
    gate.moved(_scene(100), 0.0)
    assert not gate.moved(_scene(100), 0.2)
    assert gate.moved(_scene(180), 0.4)
    assert gate.last_share > gate.share_threshold


def test_motion_inside_a_mask_is_ignored() -> None:
    mask = [[(0, 250), (600, 250), (600, 550), (0, 550)]]
    gate = MotionGate(MotionSettings(masks=mask), hold_s=0.0)
    gate.moved(_scene(100), 0.0)
    assert not gate.moved(_scene(180), 0.2)  # the whole movement is under the mask
    assert gate.moved(_scene(900), 0.4)  # outside it counts


def test_disabled_gate_passes_everything() -> None:
    gate = MotionGate(MotionSettings(enabled=False))
    assert all(gate.moved(_scene(), t) for t in (0.0, 1.0, 2.0))


def test_higher_sensitivity_means_lower_thresholds() -> None:
    keen, dull = thresholds(1.0), thresholds(0.0)
    assert keen[0] < thresholds(0.5)[0] < dull[0]
    assert keen[1] < thresholds(0.5)[1] < dull[1]
