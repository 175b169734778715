"""Camera processes start from a fork server (``cameras.launch``): forked with the worker's
modules already imported, and still gone at once when the process that runs them is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cameras import launch
from tests.support.clips import write_clip
from tests.support.paths import ROOT

# A camera host like ``rtcc node``: a supervisor with two cameras; prints the cameras' pids
# once both are online, then runs until killed.
HOST = """
import json, sys, time
from pathlib import Path
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import CameraRuns, state_is

clip, data = sys.argv[1:]
with CameraRuns(Path(data)) as runs:
    cams = [{"id": c, "url": clip, "loop": True, "realtime": True} for c in ("a", "b")]
    sup, got = runs.start(cams, recognizer=ScriptedFactory((Reading(1.0, 3.0, "A1"),)))
    for cam in ("a", "b"):
        got.wait_for(state_is(cam, "online"), 60, cam + " online")
    print(json.dumps(sup.pids()), flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif("forkserver" not in launch.mp.get_all_start_methods(), reason="no fork server")
def test_cameras_are_forked_from_the_server_and_die_with_their_host(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=6, passes=[(1.0, 3.0)]).path
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    host = subprocess.Popen([sys.executable, "-c", HOST, str(clip), str(tmp_path / "data")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert host.stdout is not None
        pids = json.loads(host.stdout.readline())
        cameras = [psutil.Process(pid) for pid in pids.values()]
        servers = {cam.ppid() for cam in cameras}
        assert len(servers) == 1 and host.pid not in servers  # one fork server between them
        server = psutil.Process(servers.pop())
        assert server.ppid() == host.pid
        # the worker's modules came with the fork: the server had imported them already
        assert any("libavcodec" in m.path for m in server.memory_maps())
        host.send_signal(signal.SIGKILL)  # a node dies: its cameras must not run on
        host.wait(10)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(_running(c) for c in [*cameras, server]):
            time.sleep(0.1)
        assert not any(_running(c) for c in [*cameras, server])
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(10)
        if host.stdout is not None:
            host.stdout.close()


# A host with a pool of two detector processes started as the supervisor starts them.
DETECTORS = """
import json, time
from cameras import launch
from cameras.detector_host import DetectorHost
from rtcc.config import LprSettings
from tests.support.scripted import Reading, ScriptedFactory

pool = DetectorHost(LprSettings(detector_processes=2), ctx=launch.context(),
                    recognizer=ScriptedFactory((Reading(1.0, 3.0, "A1"),)))
with launch.lean_child():
    pool.start()
print(json.dumps([p.pid for p in pool.processes]), flush=True)
time.sleep(600)
"""


def test_detector_processes_die_with_their_host() -> None:
    """Nothing else stops a detector process of a node killed with ``kill -9``: it would stay,
    its models loaded, one more pool with each restart of the node."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    host = subprocess.Popen([sys.executable, "-c", DETECTORS], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    detectors: list[psutil.Process] = []
    try:
        assert host.stdout is not None
        detectors = [psutil.Process(pid) for pid in json.loads(host.stdout.readline())]
        assert len(detectors) == 2 and all(_running(d) for d in detectors)
        if launch.context().get_start_method() == "forkserver":
            detectors.append(psutil.Process(detectors[0].ppid()))  # the fork server: gone too
        host.send_signal(signal.SIGKILL)
        host.wait(10)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(_running(d) for d in detectors):
            time.sleep(0.1)
        assert not any(_running(d) for d in detectors)
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(10)
        for proc in detectors:
            if _running(proc):
                proc.kill()
        if host.stdout is not None:
            host.stdout.close()


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_spec_defined_in_main_is_spawned_and_spawn_can_be_chosen() -> None:
    assert launch.context(needs_main=True).get_start_method() == "spawn"
    saved = launch.preferred
    try:
        launch.preferred = "spawn"
        assert launch.context().get_start_method() == "spawn"
    finally:
        launch.preferred = saved
