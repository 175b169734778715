"""The benchmark commands run end to end on small sizes and report what they promise.

They check correctness of the figures (keys, invariants), never speed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_json
from tests.support.paths import shared_path


def test_bench_hotlist_small(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(
        ["bench", "hotlist", "--entries", "20000", "--reads", "2000", "--naive-sample", "3",
         "--json"], capsys,
    )
    for key in ("entries", "match_us_median", "match_us_p99", "recall", "false_hit_rate",
                "naive_us_median", "import_seconds"):
        assert key in result, key
    assert result["entries"] == 20000
    assert 0.0 <= float(result["false_hit_rate"]) <= 0.05  # type: ignore[arg-type]
    assert float(result["recall"]) > 0.3  # type: ignore[arg-type]
    assert result["recall_exact"] == 1.0 and result["alternatives"] is True


def test_bench_hotlist_confidences_only(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "hotlist", "--entries", "20000", "--reads", "2000", "--naive-sample", "1"]
    with_alts = run_json([*args, "--json"], capsys)
    bare = run_json([*args, "--confidences-only", "--json"], capsys)
    assert bare["alternatives"] is False and bare["recall_exact"] == 1.0
    # Without the runner-up characters the matcher knows less: fewer misreads hit.
    assert float(bare["recall"]) < float(with_alts["recall"])  # type: ignore[arg-type]


def test_bench_retention_small(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(["bench", "retention", "--reads", "3000", "--json"], capsys)
    assert result["remaining_expired"] == 0
    assert result["lost_unexpired"] == 0
    assert float(result["rows_per_second"]) > 0  # type: ignore[arg-type]
    assert "writer_max_stall_ms" in result and "purge_seconds" in result


@pytest.mark.slow
def test_empty_street_holds_no_plate(model_dir: Path) -> None:
    from lpr.recognizer import build_recognizer
    from rtcc.bench.cameras import _pass_frames, empty_street
    from rtcc.config import LprSettings

    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    lpr = LprSettings(model_dir=model_dir)
    frames = _pass_frames(video, 10)
    background = empty_street(frames, lpr)
    assert build_recognizer(lpr).recognize(background) == []


@pytest.mark.slow
def test_bench_cameras_two_gated_cameras(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    result = run_json(
        ["bench", "cameras", "--video", str(video), "--model-dir", str(model_dir),
         "--cameras", "2", "--seconds", "20", "--duty", "0.5", "--mode", "gated", "--json"],
        capsys,
    )
    for key in ("cameras", "kept_up", "max_lag_s", "analysed_fps", "gate_skipped_frames",
                "cpu_percent", "passes_expected", "passes_seen"):
        assert key in result, key
    assert result["cameras"] == 2
    assert int(result["passes_expected"]) >= 2  # type: ignore[call-overload]
    assert result["passes_seen"] == result["passes_expected"]
    assert int(result["gate_skipped_frames"]) > 0  # type: ignore[call-overload]
