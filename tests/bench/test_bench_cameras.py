"""``rtcc bench cameras`` tells the truth: both modes in one run, the CPU it ran on, resident
memory per camera and the ratio of cameras kept up. Figures are checked for consistency, never
for speed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcc.bench.cameras import _combine, cpu_model
from tests.support.cli import run_json
from tests.support.paths import shared_path

GATED_KEYS = ("mode", "cameras", "kept_up", "max_lag_s", "analysed_fps", "gate_skipped_frames",
              "cpu_percent", "passes_expected", "passes_seen", "rss_mb_per_camera",
              "cameras_kept_up", "detector", "pss_mb_per_camera")


def test_cpu_model_is_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\n"
                    "model name\t: AMD EPYC 7B13 64-Core Processor\nflags\t: fpu\n")
    assert cpu_model(info) == "AMD EPYC 7B13 64-Core Processor"
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\n")
    assert cpu_model(info) == "unknown"
    assert cpu_model(tmp_path / "missing") == "unknown"
    assert cpu_model() != ""  # this machine's


def _result(mode: str, kept: int) -> dict[str, object]:
    return {"mode": mode, "cameras": 8, "cameras_kept_up": kept, "rss_mb_per_camera": 50.0}


def test_both_modes_report_the_ratio_of_cameras_kept_up() -> None:
    both = _combine({"gated": _result("gated", 8), "naive": _result("naive", 2)}, "both")
    assert both["kept_up_ratio"] == 4.0
    assert both["gated"]["mode"] == "gated" and both["naive"]["mode"] == "naive"
    assert both["cpu_model"] and int(both["cpu_count"]) >= 1
    none_kept = _combine({"gated": _result("gated", 3), "naive": _result("naive", 0)}, "both")
    assert none_kept["kept_up_ratio"] is None  # no ratio against zero: the figures say why


def test_one_mode_keeps_its_flat_keys() -> None:
    gated = _combine({"gated": _result("gated", 5)}, "gated")
    assert gated["mode"] == "gated" and gated["cameras_kept_up"] == 5
    assert gated["rss_mb_per_camera"] == 50.0 and "cpu_model" in gated


@pytest.mark.slow
def test_bench_cameras_both_modes_in_one_run_with_the_shared_detector(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    result = run_json(
        ["bench", "cameras", "--video", str(video), "--model-dir", str(model_dir),
         "--cameras", "2", "--seconds", "15", "--duty", "0.5", "--mode", "both",
         "--detector", "shared", "--json"], capsys,
    )
    assert result["mode"] == "both" and result["cameras"] == 2
    assert result["cpu_model"] == cpu_model()
    gated, naive = result["gated"], result["naive"]
    assert isinstance(gated, dict) and isinstance(naive, dict)
    for figures, mode, detector in ((gated, "gated", "shared"), (naive, "naive", "per_camera")):
        for key in GATED_KEYS:
            assert key in figures, (mode, key)
        assert figures["mode"] == mode and figures["detector"] == detector
        assert 0 <= figures["cameras_kept_up"] <= 2
        assert figures["passes_seen"] <= figures["passes_expected"]
        assert figures["rss_mb_per_camera"] > 10  # processes holding decoders (and models)
    assert gated["gate_skipped_frames"] > 0 and naive["gate_skipped_frames"] == 0
    assert gated["passes_seen"] == gated["passes_expected"] >= 2
    if naive["cameras_kept_up"]:
        assert result["kept_up_ratio"] == round(
            gated["cameras_kept_up"] / naive["cameras_kept_up"], 2)
    else:
        assert result["kept_up_ratio"] is None
