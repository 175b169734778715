"""The real camera worker passes where each frame moved to its read pipeline, which sends the
shared detector host only the motion crop when it is small (``lpr.motion_crop_max_share``): the
host is unchanged, and the reads come back in frame pixels. Real models, real toll-booth footage
(skipped without ../shared)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from cameras.detector_host import DetectorHost
from lpr.pipeline import crop_of
from rtcc.config import LprSettings
from tests.support.cropwatch import WatchedFactory, sizes
from tests.support.paths import shared_path
from tests.support.workers import MODEL_LOAD_S, CameraRuns, state_is

pytestmark = pytest.mark.slow


def test_motion_crops_go_through_the_shared_host_and_reads_stay_in_frame_pixels(
    tmp_path: Path,
) -> None:
    video = shared_path("data/video/parkpow/cars.mp4")  # 1280 x 720, a fixed toll-lane camera
    lpr = {"model_dir": str(shared_path("models")), "detector": "shared",
           "motion_crop_max_share": 0.7}
    log = tmp_path / "looked-at.txt"
    host = DetectorHost(LprSettings.model_validate(lpr), recognizer=WatchedFactory(str(log)))
    host.start()
    try:
        with CameraRuns(tmp_path / "data") as runs:
            camera = {"id": "toll", "url": str(video), "loop": False, "realtime": False,
                      "detect_fps": 5}
            _, got = runs.start([camera], recognizer=host.client("toll"), lpr=lpr)
            got.wait_for(state_is("toll", "offline"), MODEL_LOAD_S + 120, "end of file")
            got.pump(0.5)
            finals = [r for r in got.reads("toll") if r.record.status == "final"]
    finally:
        host.stop()
    looked = sizes(log)
    crops = [s for s in looked if s != (1280, 720)]
    assert crops, looked  # some frames were looked at through their motion crop
    assert all(w <= 1280 and h <= 720 and w * h <= 0.7 * 1280 * 720 for w, h in crops)
    # The same two plates as on whole frames (README, "Motion crop"), boxes in frame pixels.
    assert sorted(r.record.plate for r in finals) == ["34A23126", "34A36837"]
    for read in finals:
        x1, y1, x2, y2 = read.record.box
        assert 0 <= x1 < x2 <= 1280 and 300 <= y1 < y2 <= 720, read.record.box  # lower half
        assert read.snapshot_path and read.crop_path
        snapshot = cv2.imread(str(tmp_path / "data" / read.snapshot_path))
        crop = cv2.imread(str(tmp_path / "data" / read.crop_path))
        assert snapshot is not None and snapshot.shape[:2] == (720, 1280)  # the whole frame
        assert crop is not None and crop.shape == crop_of(snapshot, read.record.box).shape
