"""Real camera workers (spawned processes) against a real RTSP server and real broken inputs:
online, reads (real models), recording, outages, bad sources, SIGKILL and the restart budget
(a scripted recognizer that reads nothing: no models needed)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from cameras.messages import ReadMessage, SegmentMessage, StatusMessage
from tests.support.rtsp import RtspServer
from tests.support.scripted import ScriptedFactory
from tests.support.workers import MODEL_LOAD_S, CameraRuns

pytestmark = [pytest.mark.slow, pytest.mark.rtsp]
NO_PLATES = ScriptedFactory(())  # the real worker without models: reads nothing, starts at once


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def _state(cam: str, *states: str) -> Any:
    return lambda m: isinstance(m, StatusMessage) and m.camera_id == cam and m.state in states


def _readable_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(stream) if p.pts is not None]
    return max(times) - min(times)


def test_rtsp_camera_online_reads_and_records(rtsp_server: RtspServer, runs: CameraRuns,
                                              model_dir: Path, tmp_path: Path) -> None:
    sup, got = runs.start([{"id": "gate", "url": rtsp_server.url(), "record": True,
                            "segment_seconds": 2}], lpr={"model_dir": str(model_dir)})
    got.wait_for(_state("gate", "online"), MODEL_LOAD_S, "online")
    read = got.wait_for(lambda m: isinstance(m, ReadMessage), 30, "a plate read")
    assert read.record.plate and read.snapshot_path
    assert (tmp_path / "data" / read.snapshot_path).is_file()
    seg = got.wait_for(lambda m: isinstance(m, SegmentMessage), 30, "a finished segment")
    path = tmp_path / "data" / seg.path
    assert seg.path.startswith(f"video/gate/{seg.start_at:%Y-%m-%d}/") and path.is_file()
    assert path.stat().st_size == seg.bytes > 0
    assert _readable_seconds(path) >= 1.0
    assert seg.end_at > seg.start_at
    assert sup.restarts("gate") == 0


def test_server_outage_offline_then_back_online_with_new_segment(
    rtsp_server: RtspServer, runs: CameraRuns
) -> None:
    sup, got = runs.start([{"id": "cam1", "url": rtsp_server.url(), "record": True,
                            "segment_seconds": 2}], recognizer=NO_PLATES)
    got.wait_for(_state("cam1", "online"), 20, "online")
    pid = sup.pids()["cam1"]
    mark = got.mark()
    rtsp_server.kill()
    offline = got.wait_for(_state("cam1", "offline", "error"), 10, "offline", since=mark)
    assert offline.state == "offline"
    # the segment being written when the stream died is finished and indexed
    got.wait_for(lambda m: isinstance(m, SegmentMessage), 5, "segment closed", since=mark)
    got.pump(2)
    assert not any(_state("cam1", "error", "failed")(m) for m in got.messages[mark:])
    mark = got.mark()
    rtsp_server.start()
    back = got.wait_for(_state("cam1", "online"), 10, "online again", since=mark)
    seg = got.wait_for(lambda m: isinstance(m, SegmentMessage), 20, "new segment", since=mark)
    assert seg.start_at >= offline.at and back.reconnects >= 1
    assert sup.pids()["cam1"] == pid and sup.restarts("cam1") == 0  # the worker survived


def test_bad_sources_give_clear_errors(rtsp_server: RtspServer, rtsp_auth_server: RtspServer,
                                       runs: CameraRuns, tmp_path: Path) -> None:
    good = rtsp_server.clip.read_bytes()[:2_000_000]
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    cams = [
        {"id": "wrongpath", "url": rtsp_server.url("/nope")},
        {"id": "wrongpass", "url": rtsp_auth_server.url(credentials="officer:guessed-wrong")},
        {"id": "truncated", "url": str(truncated)},
        {"id": "notvideo", "url": str(text)},
    ]
    sup, got = runs.start(cams, recognizer=NO_PLATES)
    expect = {"wrongpath": "not found", "wrongpass": "authentication failed",
              "truncated": "video", "notvideo": "not a readable video"}
    for cam, words in expect.items():
        msg = got.wait_for(_state(cam, "error"), 20, f"{cam} error")
        assert words in msg.message and msg.message.startswith(("rtsp://", "file ")), msg
        assert "guessed-wrong" not in msg.message and "officer" not in msg.message
    got.pump(3)
    assert all(sup.restarts(c["id"]) == 0 for c in cams)  # nothing crashed
    assert all(p for p in sup.pids().values())


def test_sigkill_restarts_within_budget_then_failed(rtsp_server: RtspServer,
                                                    runs: CameraRuns) -> None:
    sup, got = runs.start([{"id": "k", "url": rtsp_server.url()}], recognizer=NO_PLATES,
                          max_restarts=2, restart_window_s=120, failed_retry_s=3)
    got.wait_for(_state("k", "online"), 20, "online")
    for n in (1, 2):
        pid = sup.pids()["k"]
        assert pid is not None
        mark = got.mark()
        os.kill(pid, signal.SIGKILL)
        msg = got.wait_for(_state("k", "error"), 10, "restart notice", since=mark)
        assert "restarting" in msg.message and msg.restarts == n
        got.wait_for(_state("k", "starting"), 10, "worker back", since=mark)
        assert sup.pids()["k"] != pid
    mark, last = got.mark(), sup.pids()["k"]
    assert last is not None
    os.kill(last, signal.SIGKILL)
    failed = got.wait_for(_state("k", "failed"), 10, "failed", since=mark)
    assert "retrying" in failed.message and sup.is_failed("k")
    got.wait_for(_state("k", "online"), 20, "retried after the pause", since=mark)


def test_worker_logs_reach_the_parent_without_credentials() -> None:
    """A worker's log records travel over its pipe, formatted and scrubbed of passwords."""
    import logging

    from cameras.logs import PipeLogHandler, replay

    sent: list[logging.LogRecord] = []

    class Outbox:
        def put(self, message: object) -> None:
            sent.append(message)  # type: ignore[arg-type]

    logger = logging.getLogger("cameras.test-worker")
    handler = PipeLogHandler(Outbox())
    logger.addHandler(handler)
    try:
        logger.warning("cannot open %s", "rtsp://admin:hunter2@10.0.0.9/live")
    finally:
        logger.removeHandler(handler)
    [record] = sent
    assert record.getMessage() == "cannot open rtsp://***@10.0.0.9/live"
    assert record.args is None  # formatted in the child: nothing unpicklable travels
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, rec: logging.LogRecord) -> None:
            seen.append(rec.getMessage())

    keep = Keep()
    logger.addHandler(keep)
    try:
        replay(record)
    finally:
        logger.removeHandler(keep)
    assert seen == ["cannot open rtsp://***@10.0.0.9/live"]
