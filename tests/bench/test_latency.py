"""``rtcc bench latency``: the latency arithmetic, and a short real run through the server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from rtcc.bench import latency
from tests.support.paths import shared_path


def hit(plate: str, observed: str, kind: str = "hit") -> dict[str, Any]:
    return {"type": kind, "plate": plate, "entry_plate": plate, "observed_at": observed}


def test_first_hit_per_pass_counts_once() -> None:
    t0 = "2026-03-01T12:00:00+00:00"
    t1 = "2026-03-01T12:00:05+00:00"
    base = 1772366400.0  # 2026-03-01T12:00:00Z
    messages: list[tuple[float, dict[str, Any]]] = [
        (base + 0.4, hit("LS15EBC", t0)),
        (base + 2.0, hit("LS15EBC", t0)),  # the final read of the same pass
        (base + 5.3, {"type": "camera_status", "observed_at": t1}),
        (base + 5.9, hit("AB12CDE", t1)),  # another plate
        (base + 5.6, hit("LS15EBC", t1)),
    ]
    assert latency.first_hit_latencies(messages, "LS15EBC") == pytest.approx([0.4, 0.6])


def test_summary_uses_nearest_rank_percentiles() -> None:
    got = latency.summarize([i / 10 for i in range(1, 21)])  # 0.1 .. 2.0
    assert (got["passes"], got["p50_s"], got["p95_s"], got["max_s"]) == (20, 1.05, 1.9, 2.0)
    assert latency.summarize([])["p50_s"] is None


def test_cpu_model_is_named() -> None:
    assert latency.cpu_model()


@pytest.mark.slow
def test_real_server_reports_hits_over_the_websocket() -> None:
    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    models = shared_path("models")
    args = argparse.Namespace(
        video=Path(video), plate="LS15EBC", passes=2, model_dir=Path(models), timeout=300.0
    )
    result = latency.run(args)
    assert result["passes"] == 2
    assert 0 < result["p50_s"] <= result["p95_s"] < 30
