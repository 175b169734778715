"""One detector service per host: a real detector process serving real camera workers through
shared memory — with the scripted recognizer (any machine) and with the real models."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cameras.detector_host import DetectorHost
from lpr.service import serve
from rtcc.config import LprSettings
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import MODEL_LOAD_S, CameraRuns, final_read, state_is

SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123"), Reading(5.5, 7.5, "XYZ789")))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    path = tmp_path_factory.mktemp("clip") / "two-passes.mp4"
    return write_clip(path, seconds=10, passes=[(1.0, 3.0), (5.5, 7.5)])


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


@pytest.fixture
def host() -> Iterator[DetectorHost]:
    # 80 ms a frame, as a busy detector: the cameras' requests meet in the host's queue
    started = DetectorHost(LprSettings(), recognizer=replace(SCRIPT, delay_s=0.08))
    started.start()
    yield started
    started.stop()


def _camera(cam_id: str, url: Path, **extra: object) -> dict[str, object]:
    return {"id": cam_id, "url": str(url), "loop": False, "realtime": True, "detect_fps": 5,
            **extra}


def test_one_host_serves_two_camera_workers(
    clip: Clip, runs: CameraRuns, host: DetectorHost
) -> None:
    sup, got = runs.start([_camera("east", clip.path), _camera("west", clip.path)],
                          recognizer=host.client())
    for cam in ("east", "west"):
        got.wait_for(state_is(cam, "offline"), 40, f"end of file on {cam}")
    got.pump(0.5)
    for cam in ("east", "west"):
        finals = [r.record.plate for r in got.reads(cam) if r.record.status == "final"]
        assert finals == ["ABC123", "XYZ789"], (cam, finals)
    served, batches, largest = host.served()
    analysed = sum(m.analysed_frames for m in got.messages
                   if state_is("east", "offline")(m) or state_is("west", "offline")(m))
    # Every analysed frame of both cameras went through the host (batching is timing-bound
    # here; the next test shows it deterministically).
    assert served == analysed >= 40, (served, analysed)
    assert not any(state_is(c, "error", "failed")(m) for m in got.messages for c in ("east",
                                                                                      "west"))


def test_requests_that_wait_while_the_host_is_busy_are_served_as_one_batch() -> None:
    slow = DetectorHost(LprSettings(), recognizer=replace(SCRIPT, delay_s=0.6))
    slow.start()
    try:
        frame = np.zeros((48, 64, 3), np.uint8)
        first = slow.client()(LprSettings())
        first.recognize(frame)  # connected and warm
        waiting = [slow.client()(LprSettings()) for _ in range(2)]
        for c in waiting:
            c._connect()
        busy = threading.Thread(target=first.recognize, args=(frame,))
        busy.start()  # the host is now busy for 0.6 s ...
        time.sleep(0.15)
        barrier = threading.Barrier(2)

        def ask(client: Any) -> None:
            barrier.wait()
            client.recognize(frame)  # ... while these two arrive together

        threads = [threading.Thread(target=ask, args=(c,)) for c in waiting]
        for t in threads:
            t.start()
        for t in [busy, *threads]:
            t.join(10)
        deadline = time.monotonic() + 10  # the host counts a batch just after answering it
        while slow.served()[0] < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        served, batches, largest = slow.served()
        assert (served, batches, largest) == (4, 3, 2)
    finally:
        slow.stop()


def test_a_camera_whose_host_is_gone_errors_and_is_restarted(
    clip: Clip, runs: CameraRuns
) -> None:
    gone = DetectorHost(LprSettings(), recognizer=SCRIPT)
    gone.start()
    gone.stop()  # never serves: the socket is gone as well
    client = gone.client()
    quick = type(client)(client.address, client.authkey, connect_timeout_s=1.0)
    sup, got = runs.start([_camera("lone", clip.path)], recognizer=quick, max_restarts=0,
                          failed_retry_s=600)
    err = got.wait_for(state_is("lone", "error"), 30, "error status")
    assert "shared detector not reachable" in (err.message or "")


def test_a_failing_batch_answers_every_frame_with_the_error() -> None:
    import numpy as np

    class Broken:
        def recognize(self, frame: np.ndarray) -> list[object]:
            raise RuntimeError("onnx fell over")

    frames = [np.zeros((4, 4, 3), np.uint8)] * 3
    replies = serve(Broken(), frames)  # type: ignore[arg-type]
    assert [r.error for r in replies] == ["RuntimeError: onnx fell over"] * 3
    assert all(r.batch == 3 for r in replies)


@pytest.mark.slow
def test_the_real_models_read_the_clip_through_the_shared_service(
    runs: CameraRuns, model_dir: Path
) -> None:
    from tests.support.paths import shared_path

    video = shared_path("data/video/theAIGuysCode/license_plate.mp4")
    sup, got = runs.start([_camera("real", video, realtime=False)],
                          lpr={"model_dir": str(model_dir), "detector": "shared"})
    assert sup.detector is not None  # the setting selected the one service of this host
    got.wait_for(final_read("real", "LS15EBC"), MODEL_LOAD_S + 60, "LS15EBC via the service")
    served, _, _ = sup.detector.served()
    assert served > 0
    assert not any(state_is("real", "error", "failed")(m) for m in got.messages)


def test_a_pool_of_detector_processes_takes_the_cameras_in_turn(
    clip: Clip, runs: CameraRuns
) -> None:
    pool = DetectorHost(LprSettings(detector_processes=2),
                        recognizer=replace(SCRIPT, delay_s=0.03))
    pool.start()
    try:
        cams = [_camera(c, clip.path) for c in ("n", "e", "s", "w")]
        specs = [replace(s, recognizer=pool.client()) for s in runs.specs(cams)]
        assert len({s.recognizer.address for s in specs}) == 2  # type: ignore[union-attr]
        sup, got = runs.start(cams, specs=specs)
        for cam in ("n", "e", "s", "w"):
            got.wait_for(state_is(cam, "offline"), 60, f"end of file on {cam}")
        got.pump(0.5)
        for cam in ("n", "e", "s", "w"):
            finals = [r.record.plate for r in got.reads(cam) if r.record.status == "final"]
            assert finals == ["ABC123", "XYZ789"], (cam, finals)
        each = pool.served_each()
        assert all(frames > 0 for frames, _, _ in each), each  # both processes served
        assert pool.served()[0] == sum(frames for frames, _, _ in each)
    finally:
        pool.stop()


def test_a_dead_detector_process_is_replaced_and_serves_again() -> None:
    pool = DetectorHost(LprSettings(detector_processes=2), recognizer=SCRIPT)
    pool.start()
    try:
        victim = pool.processes[1]
        victim.kill()
        victim.join(10)
        assert pool.dead()
        assert pool.start() == [-9]  # only the dead one, with its exit code
        assert not pool.dead() and pool.processes[0].is_alive()
        client = replace(pool.client(), connect_timeout_s=30.0)
        client = replace(client, address=pool.addresses[1])
        assert client(LprSettings()).recognize(np.zeros((36, 64, 3), np.uint8)) == []
        assert pool.served_each()[1][0] == 1
    finally:
        pool.stop()


def test_cameras_without_plate_recognition_start_no_detector(
    clip: Clip, runs: CameraRuns
) -> None:
    sup, got = runs.start([_camera("video-only", clip.path, lpr=False)],
                          lpr={"detector": "shared"})
    got.wait_for(state_is("video-only", "online", "offline"), 30, "the camera running")
    assert sup.detector is None


def test_a_detector_that_cannot_load_its_models_is_retried_after_a_pause(
    tmp_path: Path, clip: Clip, runs: CameraRuns
) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    sup, got = runs.start([_camera("east", clip.path)],
                          lpr={"detector": "shared", "model_dir": str(empty)},
                          max_restarts=2, restart_window_s=60, failed_retry_s=600)
    assert sup.detector is not None
    seen: set[int] = set()
    end = time.monotonic() + 8
    while time.monotonic() < end:  # the watchdog looks every 0.5 s
        proc = sup.detector.processes[0]
        if proc is not None and proc.pid is not None:
            seen.add(proc.pid)
        time.sleep(0.05)
    # the first start and two restarts, then a pause (it used to restart every half second)
    assert len(seen) == 3, seen
    assert sup.detector.dead()


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm to look in")
def test_the_frame_block_of_a_killed_camera_is_removed(
    clip: Clip, runs: CameraRuns, host: DetectorHost
) -> None:
    """A camera killed (``kill -9``, the OOM killer) cannot remove its shared-memory block;
    the host removes it when the camera's connection ends, or every restart left another."""
    import os
    import signal

    import psutil

    sup, got = runs.start([_camera("kill", clip.path, loop=True)], recognizer=host.client())
    got.wait_for(state_is("kill", "online"), 40, "online")
    deadline = time.monotonic() + 20
    blocks: list[str] = []
    pid = sup.pids()["kill"]
    assert pid is not None
    while not blocks and time.monotonic() < deadline:
        got.pump(0.2)
        maps = psutil.Process(pid).memory_maps()
        blocks = [m.path for m in maps if m.path.startswith("/dev/shm/psm_")]
    assert blocks, "the camera never mapped a frame block"
    os.kill(pid, signal.SIGKILL)
    mark = got.mark()
    got.wait_for(state_is("kill", "online"), 40, "online again", since=mark)
    deadline = time.monotonic() + 10
    while any(Path(b).exists() for b in blocks) and time.monotonic() < deadline:
        got.pump(0.2)
    assert not any(Path(b).exists() for b in blocks), blocks


def test_a_restarted_camera_keeps_its_detector_process(runs: CameraRuns) -> None:
    """Each worker start asks the pool for a client; taken in turn, a camera restarted twice
    landed on its neighbour's process and left the other idle."""
    from cameras.supervisor import CameraSupervisor
    from rtcc.clock import SystemClock

    lpr = {"detector": "shared", "detector_processes": 2}
    specs = runs.specs([_camera(c, Path("/dev/null")) for c in ("a", "b")], lpr=lpr)
    sup = CameraSupervisor([], lpr=specs[0].lpr, data_dir=runs.data_dir, clock=SystemClock(),
                           specs=specs)  # not started: no detector process, no worker
    assert sup.detector is not None
    try:
        run = sup._runnable  # what each start (first, or a restart) of a worker runs
        first = {s.camera.id: run(s).recognizer.address for s in specs}  # type: ignore[union-attr]
        assert len(set(first.values())) == 2
        for _ in range(3):  # camera a restarted three times
            assert run(specs[0]).recognizer.address == first["a"]  # type: ignore[union-attr]
        assert run(specs[1]).recognizer.address == first["b"]  # type: ignore[union-attr]
        sup.apply(specs[1:])  # a removed: its place goes to the next camera
        c = runs.specs([_camera("c", Path("/dev/null"))], lpr=lpr)[0]
        assert run(c).recognizer.address == first["a"]  # type: ignore[union-attr]
    finally:
        sup.stop(timeout=1.0)


def test_the_supervisors_of_a_node_share_its_detector(clip: Clip, runs: CameraRuns) -> None:
    """A node runs a supervisor per camera; each made a detector of its own (the models loaded
    once per camera). Given the node's, they share it, and one stopping leaves it serving."""
    pool = DetectorHost(LprSettings(), recognizer=replace(SCRIPT, delay_s=0.03))
    try:
        lpr = {"detector": "shared"}
        sups = [runs.start([_camera(cam, clip.path)], lpr=lpr, detector=pool)
                for cam in ("east", "west")]
        assert all(sup.detector is pool for sup, _ in sups) and pool.started
        assert len(pool.processes) == 1
        process = pool.processes[0]
        for cam, (_, got) in zip(("east", "west"), sups, strict=True):
            got.wait_for(state_is(cam, "offline"), 60, f"end of file on {cam}")
            got.pump(0.3)
            finals = [r.record.plate for r in got.reads(cam) if r.record.status == "final"]
            assert finals == ["ABC123", "XYZ789"], (cam, finals)
        sups[0][0].stop(timeout=5)
        assert process.is_alive() and pool.processes[0] is process  # not stopped by one of them
    finally:
        runs.close()
        pool.stop()


def test_a_detector_host_leaves_nothing_on_disk() -> None:
    """Its sockets are abstract (no file to leave behind when a host is killed)."""
    import tempfile

    before = set(Path(tempfile.gettempdir()).iterdir())
    pool = DetectorHost(LprSettings(detector_processes=2), recognizer=SCRIPT)
    pool.start()
    try:
        client = pool.client("east")(LprSettings())
        assert client.recognize(np.zeros((36, 64, 3), np.uint8)) == []
        assert all(a.startswith("\0") for a in pool.addresses)
        assert set(Path(tempfile.gettempdir()).iterdir()) - before == set()
    finally:
        pool.stop()
