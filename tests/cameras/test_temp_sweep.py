"""A writer killed mid-write leaves its temporary file (``rtcc.datadir.write_atomic``); the
supervisor removes such leftovers, older than a minute and named as ours only, before a
camera's worker starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtcc import datadir
from tests.support.paths import ROOT
from tests.support.workers import CameraRuns

# A child that writes a large photo through write_atomic (killed before it is renamed).
WRITER = (
    "import sys; from pathlib import Path; from rtcc.datadir import write_atomic; "
    "write_atomic(Path(sys.argv[1]), b'\\xff' * (128 << 20))"
)


def _killed_mid_write(path: Path) -> Path:
    """Run a real ``write_atomic`` in a child process and ``kill -9`` it while it writes:
    the temporary file it leaves."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            temps = [p for p in path.parent.glob(f".{path.name}.*.tmp") if p.stat().st_size]
            if temps:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(10)
                assert not path.exists(), "the write completed before the kill"
                (temp,) = temps
                return temp
            assert child.poll() is None, f"the writer exited with {child.returncode}"
            time.sleep(0.005)
        raise AssertionError("no temporary file appeared")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_only_stale_temp_files_of_ours_are_swept(tmp_path: Path) -> None:
    folder = tmp_path / "media" / "reads" / "cam-a" / "2026-03-01"
    folder.mkdir(parents=True)
    left = _killed_mid_write(folder / "trk-1.jpg")
    assert datadir.TEMP_NAME.match(left.name)
    young = folder / ".trk-2.jpg.abcd_123.tmp"  # a write in progress elsewhere
    foreign = [folder / "notes.tmp", folder / ".trk-3.jpg.short.tmp", folder / "trk-4.jpg"]
    for path in (young, *foreign):
        path.write_bytes(b"x")
        _age(path, 3600)
    _age(young, 10)
    _age(left, 61)
    now = time.time()
    assert datadir.sweep_temp_files(tmp_path, now=now) == 1
    assert not left.exists() and young.exists() and all(p.exists() for p in foreign)
    assert datadir.sweep_temp_files(tmp_path, now=now + 60) == 1  # young is stale by then
    assert datadir.sweep_temp_files(tmp_path / "missing", now=now) == 0


@pytest.mark.slow
def test_the_supervisor_sweeps_a_cameras_leftovers_before_it_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    mine = data / "media" / "reads" / "cam-a" / "2026-03-01"
    other = data / "media" / "reads" / "cam-b" / "2026-03-01"
    live = data / "live"
    for folder in (mine, other, live):
        folder.mkdir(parents=True)
    killed = _killed_mid_write(mine / "trk-1.jpg")
    live_left = live / ".cam-a.jpg.q1w2e3r4.tmp"
    live_left.write_bytes(b"frame")
    not_mine = other / ".trk-1.jpg.zxcvbnm1.tmp"  # another camera's (not started here)
    not_mine.write_bytes(b"x")
    fresh = mine / ".trk-9.jpg.freshtmp.tmp"
    fresh.write_bytes(b"x")
    for path in (killed, live_left, not_mine):
        _age(path, 120)
    with CameraRuns(data) as runs:
        sup, _ = runs.start([{"id": "cam-a", "url": str(tmp_path / "absent.mp4"), "lpr": False}])
        assert not killed.exists() and not live_left.exists()
        assert not_mine.exists() and fresh.exists()
        assert sup.pids()["cam-a"] is not None  # and then its worker started
