"""The server signs audit checkpoints on its own, every ``checkpoint_interval_minutes``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtcc import audit
from rtcc.audit import SYSTEM
from rtcc.clock import FakeClock
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import build_services


def test_runtime_makes_checkpoints(make_settings: Any, tmp_path: Path, clock: FakeClock) -> None:
    settings = make_settings(
        database={"url": f"sqlite:///{tmp_path / 'rt.db'}"},
        audit={"checkpoint_interval_minutes": 0.005},  # 0.3 s
        retention={"enabled": False}, oversight={"enabled": False},
    )
    services = build_services(settings, clock=clock)
    with services.sessions() as s:
        audit.record(s, now=clock.now(), actor=SYSTEM, action="test.event")
        s.commit()
    runtime = Runtime(services, cameras=False)
    runtime.start()
    try:
        directory = settings.audit_checkpoint_dir
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(directory.glob("checkpoint-*.json")):
            time.sleep(0.1)
        time.sleep(1.0)  # several more intervals: nothing new was appended, so no new file
        files = sorted(p.name for p in directory.glob("checkpoint-*.json"))
    finally:
        runtime.stop()
        services.engine.dispose()
    assert files == ["checkpoint-00000001.json"]
    assert runtime.anchoring is not None and runtime.anchoring.runs >= 3
