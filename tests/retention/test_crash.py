"""Crash safety: SIGKILL the job (a real ``rtcc retention run`` process) mid-run, run again,
and check the invariants on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, insert, select

from retention.holds import create_hold
from retention.report import build_report
from rtcc.audit import SYSTEM
from rtcc.clock import SystemClock
from rtcc.db import transaction
from rtcc.models import Camera, PlateRead, RetentionRun
from rtcc.runtime.services import Services

ROOT = Path(__file__).resolve().parents[2]
DAY = timedelta(days=1)
EXPIRED, YOUNG, BATCH = 4000, 400, 20


def _seed(services: Services) -> tuple[set[int], int]:
    """Expired reads (91..120 d) and young ones (0..89 d), each with two files; one held."""
    now = SystemClock().now()  # the job runs in another process on the real clock
    data = services.settings.data_dir
    with transaction(services.sessions) as s:
        s.add(Camera(id="c", name="c", created_at=now, updated_at=now))
    rows = []
    for i in range(EXPIRED + YOUNG):
        age = 91 + 29 * i / EXPIRED if i < EXPIRED else 89 * (i - EXPIRED) / YOUNG
        at = now - age * DAY
        snap, crop = f"media/reads/c/{at:%Y-%m-%d}/k{i}-snap.jpg", f"media/reads/c/k{i}-crop.jpg"
        for rel in (snap, crop):
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            (data / rel).write_bytes(b"jpeg")
        rows.append(
            {
                "camera_id": "c",
                "track_key": f"k{i}",
                "plate": f"P{i}",
                "confidence": 0.9,
                "observed_at": at,
                "last_seen_at": at,
                "snapshot_path": snap,
                "crop_path": crop,
                "created_at": at,
                "updated_at": at,
            }
        )
    with transaction(services.sessions) as s:
        s.execute(insert(PlateRead), rows)
        ids = list(s.scalars(select(PlateRead.id).order_by(PlateRead.id)))
        held = ids[EXPIRED // 2]
        create_hold(
            s,
            now=now,
            actor=SYSTEM,
            case_number="K-1",
            reason="crash test",
            data_class="plate_reads",
            item_ids=[held],
            expires_at=now + 30 * DAY,
        )
    return set(ids[EXPIRED:]), held


def _config(services: Services, tmp_path: Path) -> Path:
    cfg = tmp_path / "rtcc.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(services.settings.data_dir),
                "database": {"url": services.settings.database_url},
                "retention": {"batch_size": BATCH},
            }
        )
    )
    return cfg


def _files_left(data: Path) -> int:
    return sum(1 for _ in (data / "media").rglob("*.jpg"))


RUN_JOB = [sys.executable, "-m", "rtcc.cli.main", "retention", "run", "--force", "--config"]


def _run_and_kill(cfg: Path, data: Path, kill_after_files: int) -> bool:
    """Start the job; SIGKILL it once ``kill_after_files`` more files are gone. True if killed."""
    start_files = _files_left(data)
    proc = subprocess.Popen(
        [*RUN_JOB, str(cfg)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if start_files - _files_left(data) >= kill_after_files:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    proc.wait(timeout=120)
    return False


def _check_partial(services: Services, young: set[int], held: int) -> None:
    """After a kill: nothing young or held lost, no file without a row, at most one batch of
    rows (all expired) whose files are gone."""
    with services.sessions() as s:
        present = set(s.scalars(select(PlateRead.id)))
        assert young <= present and held in present
        report = build_report(
            s,
            now=SystemClock().now(),
            settings=services.settings.retention,
            data_dir=services.settings.data_dir,
        )
    rec = report["reconciliation"]
    assert rec["orphan_files"] == 0 and rec["in_flight_files"] == 0
    assert rec["missing_files"] <= 2 * BATCH


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_keeps_the_invariants(
    services: Services, tmp_path: Path, make_executor: Any
) -> None:
    young, held = _seed(services)
    cfg = _config(services, tmp_path)
    data = services.settings.data_dir
    killed = 0
    for step in (300, 1000, 2500):
        killed += _run_and_kill(cfg, data, step)
        _check_partial(services, young, held)
    assert killed >= 2, "the job finished before it could be killed: make it bigger"
    done = subprocess.run(
        [*RUN_JOB, str(cfg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with services.sessions() as s:
        present = set(s.scalars(select(PlateRead.id)))
        report = build_report(
            s, now=SystemClock().now(), settings=services.settings.retention, data_dir=data
        )
        statuses = list(s.scalars(select(RetentionRun.status).order_by(RetentionRun.id)))
        assert s.scalar(select(func.count()).select_from(PlateRead)) == len(young) + 1
    assert present == young | {held}
    assert _files_left(data) == 2 * (len(young) + 1)
    assert report["compliant"], report["reasons"]
    assert report["classes"]["plate_reads"]["past_period"] == 0
    assert report["reconciliation"]["missing_files"] == 0
    assert report["reconciliation"]["orphan_files"] == 0
    # A kill that lands after a run committed "ok" (its last files went just before) is not an
    # interruption: every earlier run is interrupted or ok, and at least two were interrupted.
    assert statuses[-1] == "ok" and set(statuses[:-1]) <= {"interrupted", "ok"}
    assert 2 <= statuses.count("interrupted") <= killed
    assert report["runs"]["failed_last_30_days"] == statuses.count("interrupted")
