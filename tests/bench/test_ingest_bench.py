"""``rtcc bench ingest`` end to end on a private nats-server and SQLite: its figures add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtcc.cli.main import main
from tests.support.natsserver import NatsServer


@pytest.mark.slow
def test_bench_ingest_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = NatsServer(tmp_path / "js").start()
    try:
        code = main([
            "bench", "ingest", "--cameras", "5", "--reads", "60", "--hotlist-size", "200",
            "--hit-share", "0.2", "--in-process-reads", "20", "--nodes", "1", "--consumers", "1",
            "--consoles", "2",
            "--database-url", f"sqlite:///{tmp_path / 'bench.db'}", "--bus-url", server.url,
            "--json",
        ])
    finally:
        server.stop()
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["reads"], out["lost"], out["duplicated"]) == (60, 0, 0)
    assert out["reads_per_second"] > 0 and out["hits"] > 0
    assert out["hit_latency_ms_p95"] is not None
    assert out["in_process"]["lost"] == 0 and out["in_process"]["reads"] == 20
    # The machine beside the figures: its CPU, and where the CPU of a read went (the database
    # and nats-server as this host's processes: 0 for SQLite, the test's own server counted).
    assert out["cpu_model"] and out["cpu_count"] >= 1 and len(out["load_average"]) == 3
    per_read = out["cpu_ms_per_read"]
    assert set(per_read) == {
        "ingest", "api_instance", "console", "nodes", "cameras", "postgres", "nats_server"
    }
    # the servers' CPU is read from their process times (10 ms ticks): a 60-read run can show 0
    assert per_read["ingest"] > 0 and per_read["nodes"] > 0 and per_read["nats_server"] >= 0
    # another API instance, a process of its own, sent its two consoles (officers' websockets)
    # the hits and the reads they may see, a frame per burst: every hit reached both
    assert per_read["api_instance"] > 0 and per_read["console"] > 0 and out["node_errors"] == []
    assert out["consoles"] == 2 and out["console_frames"] >= 2
    assert out["hit_latencies"] >= 2 and out["hit_latencies"] % 2 == 0
