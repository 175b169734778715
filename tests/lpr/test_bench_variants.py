"""``rtcc bench lpr``: settings variants in the same run (``--compare``), false reads on labelled
videos and reads on unlabelled ones (``--unlabelled``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lpr.evaluation import PassLabel, score_videos
from rtcc.bench.lpr import variant
from rtcc.cli.main import main
from rtcc.config import LprSettings
from rtcc.errors import InvalidInputError
from tests.support.paths import shared_path


def test_variant_applies_and_validates_one_setting() -> None:
    base = LprSettings()
    assert variant(base, "zoom_floor=0.1").zoom_floor == 0.1
    assert variant(base, "detector_rescue_threshold=null").detector_rescue_threshold is None
    both = variant(base, "zoom_floor=0.1  detector_rescue_threshold=0.2")
    assert (both.zoom_floor, both.detector_rescue_threshold) == (0.1, 0.2)
    assert base.zoom_floor is None  # the base is not changed
    for bad, words in [
        ("zoom_floor", "KEY=VALUE"),
        ("=0.1", "KEY=VALUE"),
        ("", "KEY=VALUE"),
        ("no_such_setting=1", "no_such_setting"),
        ("zoom_floor=1.5", "zoom_floor"),
        ("zoom_floor=[", "zoom_floor=["),
    ]:
        with pytest.raises(InvalidInputError) as err:
            variant(base, bad)
        assert err.value.details["field"] == "compare" and words in err.value.message


def test_false_reads_are_reads_that_are_no_labelled_plate() -> None:
    clip = Path("clip.avi")
    labels = [PassLabel(clip, "XSNB23", 0, 35), PassLabel(clip, "98THD4", 0, 35)]
    reads = {clip: ["XSNB23", "98THO4", "ETC14B02819T", "HOTEL"]}
    r = score_videos(labels, reads)
    assert r["reads"] == 4
    assert r["false_reads"] == 2  # a misread (98THO4) is not a false read; text on a sign is
    assert r["detection_recall"] == 1.0 and r["exact_accuracy"] == 0.0


def test_cli_refuses_a_bad_compare_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("file,plate_text,x1,y1,x2,y2\n", encoding="utf-8")
    argv = ["bench", "lpr", "--labels", str(labels), "--model-dir", str(shared_path("models"))]
    assert main([*argv, "--compare", "zoom_flor=0.1"]) == 2
    assert "zoom_flor" in capsys.readouterr().err
    assert main([*argv, "--unlabelled", str(tmp_path / "x.mp4")]) == 2


@pytest.mark.slow
def test_video_bench_reports_variants_and_unlabelled_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_path("data/video")
    labels = tmp_path / "labels.csv"
    labels.write_text(
        f"file,plate_text,first_frame,last_frame\n{video}/tudelft/cat1_Video10_2.avi,XSNB23,0,35\n",
        encoding="utf-8",
    )
    argv = [
        "bench",
        "lpr",
        "--video",
        "--labels",
        str(labels),
        "--stride",
        "3",
        "--json",
        "--model-dir",
        str(shared_path("models")),
        "--compare",
        "zoom_floor=0.1",
        "--unlabelled",
        str(video / "tudelft/cat1_Video12_2.avi"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{") :])
    zoomed = result["variants"]["zoom_floor=0.1"]
    for r in (result, zoomed):
        assert r["inputs"] == 1 and r["detection_recall"] == 1.0
        assert 0 <= r["false_reads"] <= r["reads"]
        assert r["cpu_ms_mean"] > 0 and r["ms_median"] > 0
        assert r["unlabelled_reads"] == len(r["unlabelled_texts"]) >= 1
    assert "98THD4" in result["unlabelled_texts"]  # the other clip's plate, read without a label
