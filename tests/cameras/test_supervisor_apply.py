"""``CameraSupervisor.apply``: real worker processes on looping file cameras (scripted
recognizer) are started, restarted and stopped one at a time while the others run on."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from cameras.messages import SegmentMessage, StatusMessage
from cameras.supervisor import Applied, CameraSupervisor
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import MODEL_LOAD_S, CameraRuns, final_read, state_is

pytestmark = pytest.mark.slow
SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123"),))


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clip, Clip]:
    """Two 4 s clips; a plate crosses each during 1.0-3.0 s."""
    folder = tmp_path_factory.mktemp("clips")
    return (write_clip(folder / "one.mp4", seconds=4, passes=[(1.0, 3.0)]),
            write_clip(folder / "two.mp4", seconds=4, passes=[(1.0, 3.0)]))


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def _cam(cam_id: str, clip: Clip, **extra: Any) -> dict[str, Any]:
    return {"id": cam_id, "url": str(clip.path), "loop": True, "detect_fps": 5, **extra}


def _gone(pid: int | None) -> bool:
    return pid is not None and not psutil.pid_exists(pid)


def _wait_restarted(sup: CameraSupervisor, cam: str, old_pid: int | None) -> int:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        pid = sup.pids().get(cam)
        if pid is not None and pid != old_pid:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"{cam} was not restarted")


def test_add_change_and_remove_one_camera_while_the_others_run(
    runs: CameraRuns, clips: tuple[Clip, Clip]
) -> None:
    one, two = clips
    cams = [_cam("a", one), _cam("b", two)]
    sup, got = runs.start(cams, recognizer=SCRIPT)
    for cam in ("a", "b"):
        got.wait_for(state_is(cam, "online"), 30, f"{cam} online")
    first_b = sup.pids()["b"]
    assert first_b is not None
    os.kill(first_b, signal.SIGKILL)  # b crashes once: its restart budget must survive
    b_pid = _wait_restarted(sup, "b", first_b)
    assert sup.restarts("b") == 1
    before = sup.pids()

    same = sup.apply(runs.specs(cams, recognizer=SCRIPT))
    assert not same and sup.pids() == before  # nothing changed: nothing touched
    # a new name, place and view are for the catalog and the map: the workers run on
    moved = [{**c, "name": f"{c['id']} renamed", "location": {"lat": 40.7, "lon": -74.0},
              "heading_deg": 90, "fov_deg": 60, "range_m": 40} for c in cams]
    relabelled = sup.apply(runs.specs(moved, recognizer=SCRIPT))
    assert not relabelled and sup.pids() == before
    assert sup.apply(runs.specs(cams, recognizer=SCRIPT)) == Applied()  # and back
    assert sup.pids() == before

    mark = got.mark()
    cams.append(_cam("c", one, record=True, segment_seconds=2))
    added = sup.apply(runs.specs(cams, recognizer=SCRIPT))
    assert (added.started, added.restarted, added.stopped) == (("c",), (), ())
    got.wait_for(state_is("c", "online"), 30, "the new camera online", since=mark)
    got.wait_for(final_read("c", "ABC123"), 30, "a read of the new camera", since=mark)
    c_pid = sup.pids()["c"]

    cams[2] = _cam("c", two, record=True, segment_seconds=2)  # a new url
    changed = sup.apply(runs.specs(cams, recognizer=SCRIPT))
    assert changed.restarted == ("c",) and not changed.started and not changed.stopped
    assert sup.pids()["c"] not in (None, c_pid) and _gone(c_pid)
    assert {k: sup.pids()[k] for k in ("a", "b")} == {"a": before["a"], "b": b_pid}
    assert sup.restarts("b") == 1
    mark = got.mark()
    got.wait_for(state_is("c", "online"), 30, "the changed camera online again", since=mark)
    got.pump(3)  # a segment of the new worker under way

    c_pid = sup.pids()["c"]
    mark = got.mark()
    removed = sup.apply(runs.specs(cams[:2], recognizer=SCRIPT))
    assert removed.stopped == ("c",) and "c" not in sup.pids() and _gone(c_pid)
    last = got.wait_for(state_is("c", "offline"), 10, "the removed camera offline", since=mark)
    assert last.message == "disabled"
    got.pump(1)
    after = got.messages[mark:]
    of_c = [m for m in after if getattr(m, "camera_id", None) == "c"]
    # a clean stop: its segment closed and indexed, and the offline status is the last word
    assert any(isinstance(m, SegmentMessage) for m in of_c)
    assert of_c[-1] is last
    assert sup.pids() == {"a": before["a"], "b": b_pid} and sup.restarts("b") == 1


def test_an_empty_supervisor_starts_the_first_camera_and_disabling_stops_it(
    runs: CameraRuns, clips: tuple[Clip, Clip]
) -> None:
    sup, got = runs.start([], recognizer=SCRIPT)
    assert sup.pids() == {}
    added = sup.apply(runs.specs([_cam("first", clips[0])], recognizer=SCRIPT))
    assert added.started == ("first",)
    got.wait_for(state_is("first", "online"), 30, "the first camera online")
    pid = sup.pids()["first"]
    mark = got.mark()
    off = sup.apply(runs.specs([_cam("first", clips[0], enabled=False)], recognizer=SCRIPT))
    assert off.stopped == ("first",) and sup.pids() == {} and _gone(pid)
    got.wait_for(state_is("first", "offline"), 10, "disabled camera offline", since=mark)
    got.pump(1.5)  # nothing restarts it
    assert sup.pids() == {}
    statuses = [m for m in got.messages[mark:] if isinstance(m, StatusMessage)]
    assert statuses[-1].state == "offline"


def test_a_worker_that_ignores_its_stop_is_killed(
    runs: CameraRuns, clips: tuple[Clip, Clip]
) -> None:
    sup, got = runs.start([_cam("stuck", clips[0])], recognizer=SCRIPT)
    got.wait_for(state_is("stuck", "online"), 30, "online")
    pid = sup.pids()["stuck"]
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # a frozen worker never sees its stop flag
    began = time.monotonic()
    removed = sup.apply([], timeout=1.0)
    assert removed.stopped == ("stuck",) and _gone(pid)
    assert time.monotonic() - began < 6
    got.wait_for(state_is("stuck", "offline"), 10, "the killed camera offline")


def test_the_first_camera_of_the_default_models_starts_the_shared_detector(
    runs: CameraRuns, clips: tuple[Clip, Clip], model_dir: Path
) -> None:
    lpr = {"model_dir": str(model_dir), "detector": "shared"}
    sup, got = runs.start([], lpr=lpr)
    assert sup.detector is None  # nothing to serve yet
    sup.apply(runs.specs([_cam("gate", clips[0])], lpr=lpr))
    got.wait_for(state_is("gate", "online"), MODEL_LOAD_S, "online")
    assert sup.detector is not None
    end = time.monotonic() + MODEL_LOAD_S
    while sup.detector.served()[0] == 0 and time.monotonic() < end:
        time.sleep(0.2)
    assert sup.detector.served()[0] > 0  # the worker's frames go to the one shared service
