"""The detector on motion regions (``lpr.motion_crop_max_share``): the crop's geometry, the
mapping of its boxes back to frame pixels (a stand-in recognizer), and the real models on a real
frame whose plate the whole-frame pass misses (skipped without ../shared)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from cameras.motion import MotionGate
from lpr import zoom
from lpr.pipeline import ReadPipeline, crop_of
from lpr.recognizer import FastAlprRecognizer, PlateObservation, build_recognizer
from lpr.tracker import iou
from rtcc.config import LprSettings, MotionSettings
from tests.support.paths import shared_path

T0 = datetime(2026, 3, 1, tzinfo=UTC)
Box = tuple[int, int, int, int]


def test_motion_window_is_a_padded_square_inside_the_frame() -> None:
    win = zoom.motion_window((500, 300, 700, 400), (1280, 720), 0.5)
    assert win is not None
    x1, y1, x2, y2 = win
    assert x2 - x1 == y2 - y1 == 260  # the longer side, 200, padded by 15 % on each side
    assert ((x1 + x2) / 2, (y1 + y2) / 2) == (600, 350)
    corner = zoom.motion_window((0, 650, 100, 720), (1280, 720), 0.5)
    assert corner == (0, 560, 160, 720)  # at least 160 px, shifted into the frame, not cut
    tall = zoom.motion_window((600, 0, 800, 720), (1280, 720), 0.9)
    assert tall is not None and tall[1] == 0 and tall[3] == 720  # cut only where the frame is


def test_no_motion_crop_when_it_would_cover_too_much_of_the_frame() -> None:
    region = (300, 100, 800, 500)  # padded square: 650 x 650 of 1280 x 720, 46 %
    assert zoom.motion_window(region, (1280, 720), 0.4) is None
    assert zoom.motion_window(region, (1280, 720), 0.5) is not None


class CropSeer:
    """A stand-in recognizer: one plate at ``plate`` (frame pixels), found only when the image
    it is given is at most ``max_side`` wide (a small plate is only seen in a crop); records
    the images it was given."""

    def __init__(self, plate: Box, max_side: int) -> None:
        self.plate, self.max_side = plate, max_side
        self.seen: list[np.ndarray] = []

    def recognize(self, image: np.ndarray) -> list[PlateObservation]:
        self.seen.append(image)
        if image.shape[1] > self.max_side:
            return []
        left, top = _place(image[0, 0])  # where the crop came from, by its first pixel
        x1, y1, x2, y2 = self.plate
        box = (x1 - left, y1 - top, x2 - left, y2 - top)
        return [PlateObservation("AB123CD", 0.95, (0.95,) * 7, box, 0.9)]


def _frame() -> np.ndarray:
    """1280 x 720 whose every pixel tells its place (``_place``)."""
    x = np.arange(1280)[None, :].repeat(720, 0)
    y = np.arange(720)[:, None].repeat(1280, 1)
    return np.dstack([(x // 256) * 4 + y // 256, y % 256, x % 256]).astype(np.uint8)


def _place(pixel: np.ndarray) -> tuple[int, int]:
    b, g, r = (int(v) for v in pixel)
    return (b // 4) * 256 + r, (b % 4) * 256 + g


def _pipeline(seer: CropSeer, **settings: object) -> ReadPipeline:
    base = {"motion_crop_max_share": 0.5, "preview_frames": 1, "instant_preview_confidence": 0.9}
    return ReadPipeline(seer, LprSettings.model_validate(base | settings))


def test_boxes_found_in_the_motion_crop_come_back_in_frame_pixels() -> None:
    frame = _frame()
    plate = (620, 330, 660, 342)  # 40 px wide: too small for the whole frame here
    seer = CropSeer(plate, max_side=400)
    pipeline = _pipeline(seer)
    out = pipeline.process(frame, T0, motion=(560, 280, 720, 400))
    assert seer.seen[-1].shape[:2] == (208, 208)  # the crop, not the frame
    assert [r.record.plate for r in out] == ["AB123CD"]
    read = out[0]
    assert read.snapshot is not None and read.snapshot.shape == frame.shape  # the whole frame
    assert pipeline.tracker.tracks[0].box == plate
    assert read.crop is not None
    np.testing.assert_array_equal(read.crop, crop_of(frame, plate))  # cut from the frame
    # The same frame without a motion region, or with the setting off: the whole frame.
    assert _pipeline(seer).process(frame, T0) == []
    assert seer.seen[-1].shape == frame.shape
    off = _pipeline(seer, motion_crop_max_share=None)
    assert off.process(frame, T0, motion=(560, 280, 720, 400)) == []
    assert seer.seen[-1].shape == frame.shape


def test_no_motion_crop_with_masks_or_a_large_region() -> None:
    frame = _frame()
    seer = CropSeer((620, 330, 660, 342), max_side=400)
    masked = _pipeline(seer, masks=[[(0, 0), (10, 0), (10, 10)]])  # masks are in frame pixels
    masked.process(frame, T0, motion=(560, 280, 720, 400))
    assert seer.seen[-1].shape == frame.shape
    _pipeline(seer).process(frame, T0, motion=(100, 100, 1000, 600))
    assert seer.seen[-1].shape == frame.shape


def test_the_crop_keeps_the_plates_being_tracked() -> None:
    """A car that stopped no longer moves: its open track keeps it inside the crop."""
    frame = _frame()
    stopped = (200, 500, 240, 512)
    seer = CropSeer(stopped, max_side=2000)
    pipeline = _pipeline(seer)
    pipeline.process(frame, T0)  # whole frame: the stopped car's plate is tracked
    win = pipeline.look_at((1280, 720), (560, 280, 720, 400))
    assert win is not None
    assert win[0] <= stopped[0] and win[1] <= stopped[1]
    assert win[2] >= 720 and win[3] >= 400  # and what moved
    pipeline.process(frame, T0 + timedelta(seconds=0.2), motion=(560, 280, 720, 400))
    assert pipeline.tracker.tracks[0].box == stopped and pipeline.tracker.tracks[0].frames == 2


def test_a_plate_cut_by_the_crop_border_is_dropped() -> None:
    frame = _frame()
    win = zoom.motion_window((560, 280, 720, 400), (1280, 720), 0.5)
    assert win == (536, 236, 744, 444)
    cut = (700, 330, 744, 342)  # runs to the crop's right border (inside the frame)
    seer = CropSeer(cut, max_side=400)
    assert _pipeline(seer).process(frame, T0, motion=(560, 280, 720, 400)) == []
    assert seer.seen[-1].shape[:2] == (208, 208)


# The real models on real frames.


class Looking:
    """The real recognizer, noting the size of every image it is given."""

    def __init__(self, rec: FastAlprRecognizer) -> None:
        self.rec = rec
        self.sizes: list[tuple[int, ...]] = []

    def recognize(self, image: np.ndarray) -> list[PlateObservation]:
        self.sizes.append(image.shape[:2])
        return self.rec.recognize(image)


@pytest.fixture(scope="module")
def real() -> Iterator[FastAlprRecognizer]:
    rec = build_recognizer(LprSettings(model_dir=shared_path("models")))
    assert isinstance(rec, FastAlprRecognizer)
    yield rec


def _video_frame(rel: str, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(shared_path(f"data/video/{rel}")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok
    return frame


def _real_pipeline(rec: FastAlprRecognizer, share: float | None) -> tuple[ReadPipeline, Looking]:
    looking = Looking(rec)
    settings = rec.settings.model_copy(update={"motion_crop_max_share": share})
    return ReadPipeline(looking, settings), looking


@pytest.mark.slow
def test_a_distant_plate_missed_on_the_whole_frame_is_found_in_its_motion_crop(
    real: FastAlprRecognizer,
) -> None:
    """The UK clip, frame 24: a car far back with a 30 x 11 px plate, which the whole frame
    (1280 px into the detector's 416) does not show the detector. Moving in a region around
    it, the detector sees a 390 px crop scaled up instead, and finds the plate there; its box
    comes back in frame pixels, where the plate is."""
    frame = _video_frame("theAIGuysCode/license_plate.mp4", 24)
    far = (0, 150, 300, 450)  # where the far car moves (given: this camera itself moves)

    def near_far_plate(boxes: list[Box]) -> list[Box]:
        return [b for b in boxes if b[0] < 60 and b[2] < 70 and 270 < b[1] < b[3] < 310]

    whole, _ = _real_pipeline(real, None)
    whole.process(frame, T0, motion=far)
    assert near_far_plate([t.box for t in whole.tracker.tracks]) == []
    cropped, looking = _real_pipeline(real, 0.5)
    cropped.process(frame, T0, motion=far)
    assert looking.sizes == [(390, 390)]
    found = near_far_plate([t.box for t in cropped.tracker.tracks])
    assert len(found) == 1, [t.box for t in cropped.tracker.tracks]
    x1, y1, x2, y2 = found[0]
    assert 20 <= x2 - x1 <= 45 and 6 <= y2 - y1 <= 20  # the small plate itself, not the car
    # The near car (outside the crop) is not looked at in this frame: what moved was elsewhere.
    assert all(b[0] < 390 for b in (t.box for t in cropped.tracker.tracks))


@pytest.mark.slow
def test_a_real_motion_region_gives_the_same_plate_in_frame_pixels(
    real: FastAlprRecognizer,
) -> None:
    """The toll-booth clip: the motion gate finds the car coming through the lane; the
    detector looks at the crop around it alone and reads the same plate as on the whole
    frame, at the same place in the frame."""
    gate = MotionGate(MotionSettings())
    gate.moved(_video_frame("parkpow/cars.mp4", 120), 0.0)
    frame = _video_frame("parkpow/cars.mp4", 122)
    assert gate.moved(frame, 0.11) and gate.region is not None
    whole, _ = _real_pipeline(real, None)
    whole.process(frame, T0, motion=gate.region)
    cropped, looking = _real_pipeline(real, 0.5)
    cropped.process(frame, T0, motion=gate.region)
    h, w = looking.sizes[0]
    assert h * w <= 0.5 * frame.shape[0] * frame.shape[1]  # a crop, not the frame
    [a], [b] = whole.tracker.tracks, cropped.tracker.tracks
    assert a.best is not None and b.best is not None
    assert a.best.text == b.best.text == "34A23126"
    assert iou(a.box, b.box) > 0.6, (a.box, b.box)
