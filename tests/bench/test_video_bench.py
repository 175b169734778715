"""``rtcc bench video`` end to end on its own RTSP server, on small sizes: the figures it
promises are there and consistent (never speed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtcc.cli.main import main

pytestmark = pytest.mark.slow


def _gst() -> bool:
    import subprocess

    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    return Path("/usr/bin/python3").exists() and subprocess.run(
        ["/usr/bin/python3", "-c", probe], capture_output=True).returncode == 0


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    if not _gst():
        pytest.skip("GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) missing")
    assert main(argv) == 0
    out = capsys.readouterr().out
    return dict(json.loads(out[out.index("{"):]))


def test_bench_video_record_copies_without_decoding(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_json(["bench", "video", "--cameras", "2", "--seconds", "8", "--mode", "record",
                  "--json"], capsys)
    assert r["cameras"] == 2 and r["online_cameras"] == 2
    assert r["decoded_frames"] == 0 and r["gaps"] == 0
    assert int(r["segments"]) >= 2  # type: ignore[call-overload]
    assert 0.9 <= float(r["media_share_of_wall"]) <= 1.05  # type: ignore[arg-type]
    baseline = r["mjpeg_baseline"]
    assert isinstance(baseline, dict) and baseline["decoded_frames"] > 0


def test_bench_video_live_viewers(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_json(["bench", "video", "--cameras", "2", "--seconds", "6", "--mode", "live",
                  "--viewers", "4", "--json"], capsys)
    assert r["live_demuxes"] == 2  # one demux per camera, however many viewers
    assert float(r["viewer_megabytes"]) > 0  # type: ignore[arg-type]
    phases = ("no_viewers", "muxers_only", "viewers")
    server = {p: float(r[f"server_cpu_percent_{p}"]) for p in phases}  # type: ignore[arg-type]
    workers = {p: float(r[f"workers_cpu_percent_{p}"]) for p in phases}  # type: ignore[arg-type]
    total = {p: server[p] + workers[p] for p in phases}
    assert r["viewers_add_cpu_percent"] == round(total["viewers"] - total["no_viewers"], 1)
    assert r["server_viewers_add_cpu_percent"] == round(
        server["viewers"] - server["no_viewers"], 1)
    assert r["fanout_add_cpu_percent"] == round(total["viewers"] - total["muxers_only"], 1)
    via = r["live_via"]  # each muxer reads the worker's feed or the camera
    assert isinstance(via, dict) and sum(via.values()) == 2 and set(via) <= {"worker", "camera"}
    baseline = r["mjpeg_baseline"]  # today's MJPEG path, from the same run
    assert isinstance(baseline, dict) and baseline["decoded_frames"] > 0


@pytest.mark.browser
def test_bench_video_latency_reads_the_time_back_from_displayed_frames(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is not installed")
    r = run_json(["bench", "video", "--mode", "latency", "--seconds", "5", "--json"], capsys)
    frames, unreadable = int(r["frames"]), int(r["unreadable_frames"])  # type: ignore[call-overload]
    assert frames >= 100 and unreadable <= frames // 10  # the stamp is read back
    low, p50, p95 = (float(r[k]) for k in ("min_s", "p50_s", "p95_s"))  # type: ignore[arg-type]
    assert 0 < low <= p50 <= p95 < 10  # after the frame was made, and not absurdly late
    assert r["cpu_model"] and r["under_target"] == (p95 < 1.5)
    assert r["live_via"]  # the server's live muxer of the camera served the page
