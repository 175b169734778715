"""The second look at small weak detections: its geometry on synthetic boxes, and the real
detector on real frames (skipped without ../shared)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from lpr import zoom
from lpr.recognizer import FastAlprRecognizer, build_recognizer, detection_floor
from rtcc.config import LprSettings
from tests.support.paths import shared_path

Box = tuple[int, int, int, int]


def test_window_is_a_square_a_few_plate_widths_wide_inside_the_frame() -> None:
    win = zoom.window((600, 300, 640, 312), (1280, 720), 416)
    assert win is not None
    x1, y1, x2, y2 = win
    assert x2 - x1 == y2 - y1 == 160  # 4 plate widths (more than 104 = 416 / 4, 96 = 8 heights)
    assert (x1 + x2) // 2 == 620 and (y1 + y2) // 2 == 306
    corner = zoom.window((0, 0, 40, 12), (1280, 720), 416)
    assert corner == (0, 0, 160, 160)  # shifted into the frame, not cut
    far = zoom.window((1250, 700, 1280, 712), (1280, 720), 416)
    assert far is not None and far[2] == 1280 and far[3] == 720


def test_no_second_look_where_it_would_not_enlarge_the_plate() -> None:
    assert zoom.window((100, 200, 204, 247), (416, 416), 416) is None  # a 416 frame: no gain
    assert zoom.window((100, 200, 300, 260), (1280, 720), 416) is None  # large plate
    assert zoom.window((100, 200, 140, 212), (640, 480), 416) is not None


def _detector_finding(boxes: Sequence[tuple[Box, float]]) -> zoom.Detect:
    """A detector stand-in answering with fixed boxes in the crop's (scaled) pixels."""

    def detect(image: np.ndarray) -> Sequence[tuple[Box, float]]:
        assert image.shape[:2] == (416, 416)  # the crop is scaled to the detector's input
        return boxes

    return detect


def test_second_look_maps_the_found_box_back_to_the_frame() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    box = (600, 300, 640, 312)  # window (540, 226, 700, 386), scale 416 / 160 = 2.6
    found = zoom.second_look(frame, box, _detector_finding([((156, 208, 260, 239), 0.9)]), 416, 0.4)
    assert found == ((600, 306, 640, 318), 0.9)


def test_second_look_keeps_only_a_sure_plate_at_the_same_place() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    box = (600, 300, 640, 312)
    weak = _detector_finding([((156, 208, 260, 239), 0.3)])
    assert zoom.second_look(frame, box, weak, 416, 0.4) is None
    elsewhere = _detector_finding([((0, 0, 60, 20), 0.95)])  # another plate in the crop
    assert zoom.second_look(frame, box, elsewhere, 416, 0.4) is None
    assert zoom.same_place((0, 0, 10, 10), (8, 8, 40, 40)) is False
    assert zoom.same_place((0, 0, 30, 30), (5, 5, 40, 40)) is True


def test_detection_floor_is_the_lowest_configured_look() -> None:
    assert detection_floor(LprSettings(detector_rescue_threshold=None)) == 0.4
    assert detection_floor(LprSettings(zoom_floor=0.1, detector_rescue_threshold=0.2)) == 0.1
    assert detection_floor(LprSettings(detector_rescue_threshold=0.2)) == 0.2


# The real detector on real frames: a car far back in the UK clip (a 30x11 px plate in a
# 1280x720 frame, scored about 0.2 on the whole frame) and the TU Delft car-park clip, where
# the whole frame also yields weak boxes on things that are not plates.


@pytest.fixture(scope="module")
def recognizers() -> tuple[FastAlprRecognizer, FastAlprRecognizer]:
    # Rescue off in both: only the second look differs.
    plain = build_recognizer(
        LprSettings(model_dir=shared_path("models"), detector_rescue_threshold=None)
    )
    zoomed = build_recognizer(plain.settings.model_copy(update={"zoom_floor": 0.1}))
    assert isinstance(plain, FastAlprRecognizer) and isinstance(zoomed, FastAlprRecognizer)
    return plain, zoomed


def _frame(rel: str, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(shared_path(f"data/video/{rel}")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def _near(boxes: Sequence[tuple[Box, float]], x: int, y: int) -> list[tuple[Box, float]]:
    return [(b, c) for b, c in boxes if b[0] - 10 <= x <= b[2] + 10 and b[1] - 10 <= y <= b[3] + 10]


@pytest.mark.slow
def test_second_look_finds_a_small_distant_plate(
    recognizers: tuple[FastAlprRecognizer, FastAlprRecognizer],
) -> None:
    plain, zoomed = recognizers
    frame = _frame("theAIGuysCode/license_plate.mp4", 24)
    assert _near(plain.detect(frame), 25, 292) == []
    found = _near(zoomed.detect(frame), 25, 292)
    assert len(found) == 1  # the first look's two weak boxes there are one plate
    box, conf = found[0]
    assert conf >= plain.settings.detector_conf_threshold
    assert box[2] - box[0] < 60  # the small plate itself, not the car
    near_plate = _near(plain.detect(frame), 620, 430)  # the near car's plate is unchanged
    assert len(near_plate) == 1 and _near(zoomed.detect(frame), 620, 430) == near_plate


@pytest.mark.slow
def test_second_look_drops_weak_boxes_that_are_not_plates(
    recognizers: tuple[FastAlprRecognizer, FastAlprRecognizer],
) -> None:
    plain, zoomed = recognizers
    frame = _frame("tudelft/cat3_Video100_2.avi", 6)
    weak = [bc for bc in zoomed._boxes(frame) if bc[1] < 0.4]  # its floor is 0.1
    assert weak, "the whole frame should give weak boxes here (the premise of this test)"
    assert len(zoomed.detect(frame)) == len(plain.detect(frame)) == 2  # the two real plates


def test_a_zoom_floor_at_or_above_the_threshold_is_refused_by_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Such a floor switches the second look on and never takes one (only detections under
    the threshold get one): the operator is told, not left with a setting that does nothing."""
    from rtcc.cli.main import main

    for floor in (0.4, 0.6):
        bad = tmp_path / f"zoom-{floor}.yaml"
        bad.write_text(f"lpr:\n  zoom_floor: {floor}\n", encoding="utf-8")
        assert main(["check-config", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "lpr" in err and "zoom_floor" in err and "detector_conf_threshold" in err, err
    assert LprSettings(zoom_floor=0.1, detector_conf_threshold=0.4).zoom_floor == 0.1
