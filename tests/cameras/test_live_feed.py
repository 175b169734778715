"""A camera worker's live feed (``cameras.live_feed``): the worker's own packets as fragmented
MP4 on a local socket, muxed only while read; the server's live hub reads it instead of opening
the camera, so a recorded camera with any number of viewers holds one RTSP session; a killed
worker leaves the viewers on the hub's own connection until a worker serves again."""

from __future__ import annotations

import os
import signal
import socket
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from cameras.live import LiveHub, LiveMuxer
from cameras.live_feed import (
    FRAGMENT,
    INIT,
    KEY,
    FeedClient,
    LiveFeed,
    _Reader,
    feed_dir,
    socket_path,
)
from cameras.sources import SourceError
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from tests.support.clips import write_clip
from tests.support.rtsp import RtspServer
from tests.support.workers import QUICK, CameraRuns, state_is

Viewer = list[bytes | None]


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


def _frames(data: bytes, where: Path) -> list[Any]:
    where.write_bytes(data)
    with av.open(str(where)) as c:
        return list(c.decode(video=0))


def test_a_feed_muxes_only_while_read_and_its_reader_gets_playable_fmp4(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=6, passes=[(0.5, 1.5)])
    folder = tmp_path / ("long-" * 20) / "run"  # beyond the 107 bytes of a socket address
    path = socket_path(folder, "c", "main")
    assert len(str(path)) > 110
    feed = LiveFeed(path)
    feed.start()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with av.open(str(clip.path)) as inp:
        stream = inp.streams.video[0]
        packets = [p for p in inp.demux(stream) if p.size]
        t = {id(p): float((p.pts or 0) * p.time_base) for p in packets}
        for p in packets[:15]:
            feed.feed(p, stream, t[id(p)])
        assert feed.fragments == 0  # nobody reads: nothing is muxed
        client = FeedClient.connect(path)
        assert client is not None
        _until(lambda: feed.readers == 1, 5, "the reader")
        before = [(p.pts, p.dts) for p in packets[15:]]
        for p in packets[15:]:
            feed.feed(p, stream, t[id(p)])
        assert [(p.pts, p.dts) for p in packets[15:]] == before  # the recorder's are untouched
    got: list[tuple[str, bytes, bool]] = []
    for unit in client.units(silence_s=2, stop=lambda: len(got) > len(packets) - 30):
        got.append(unit)
    assert got[0][0] == "init" and got[1][2]  # the init segment, then from a keyframe on
    frames = _frames(b"".join(u[1] for u in got), tmp_path / "fed.mp4")
    assert len(frames) >= len(packets) - 40 and frames[0].key_frame
    assert (frames[0].width, frames[0].height) == (640, 360)
    feed.close()
    assert not path.exists()
    with pytest.raises(SourceError, match="ended"):
        for _ in client.units(silence_s=2, stop=lambda: False):
            pass
    client.close()


def test_a_socket_left_by_a_killed_worker_is_not_a_feed(tmp_path: Path) -> None:
    path = socket_path(tmp_path, "c", "main")
    assert FeedClient.connect(path) is None  # no worker here at all
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(path))
    left.close()  # the file stays, nobody listens
    assert path.exists() and FeedClient.connect(path) is None
    feed = LiveFeed(path)  # the next worker takes the place over
    feed.start()
    client = FeedClient.connect(path)
    assert client is not None
    client.close()
    feed.close()


@pytest.fixture
def camera_server(rtsp_clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(rtsp_clip, count_clients=True)
    server.start()
    yield server
    server.kill()


def _watch(hub: LiveHub, cam: CameraSettings, n: int) -> tuple[list[Viewer], list[Any]]:
    viewers: list[Viewer] = [[] for _ in range(n)]
    leave = [hub.subscribe(cam, "main", v.append) for v in viewers]
    return viewers, leave


def _all_get(viewers: list[Viewer], more: int, timeout: float) -> None:
    marks = [len(v) for v in viewers]
    _until(lambda: all(len(v) >= m + more for v, m in zip(viewers, marks, strict=True)),
           timeout, f"{more} more fragments for every viewer")
    assert all(None not in v for v in viewers)  # no viewer saw its stream end


def _recorded_camera(runs: CameraRuns, server: RtspServer, **supervisor: Any
                     ) -> tuple[Any, CameraSettings]:
    spec = {"id": "gate", "url": server.url(), "lpr": False, "record": True,
            "segment_seconds": 4}
    sup, msgs = runs.start([spec], **supervisor)
    msgs.wait_for(state_is("gate", "online"), 30, "the camera online")
    return sup, CameraSettings.model_validate({"id": "gate", "url": server.url(), **QUICK})


def _muxer(hub: LiveHub) -> LiveMuxer:
    [muxer] = hub.muxers()
    return muxer


def test_a_recorded_camera_with_four_viewers_holds_one_rtsp_session(
    tmp_path: Path, camera_server: RtspServer
) -> None:
    data = tmp_path / "data"
    with CameraRuns(data) as runs:
        sup, cam = _recorded_camera(runs, camera_server)
        hub = LiveHub(SystemClock(), linger_s=1.0, feeds=feed_dir(data))
        viewers, leave = _watch(hub, cam, 4)
        try:
            _all_get(viewers, 30, 30)
            assert _muxer(hub).stats.via == "worker" and _muxer(hub).stats.frames_decoded == 0
            assert camera_server.clients == 1 and camera_server.clients_seen == 1
            for i, v in enumerate(viewers):
                frames = _frames(b"".join(x for x in v if x), tmp_path / f"v{i}.mp4")
                assert len(frames) >= 25 and frames[0].key_frame
            os.kill(sup.pids()["gate"], signal.SIGKILL)  # the supervisor restarts it
            _all_get(viewers, 30, 40)  # the viewers go on (on the hub's connection meanwhile)
            _until(lambda: _muxer(hub).stats.via == "worker" and camera_server.clients == 1,
                   40, "the restarted worker's feed, alone on the camera")
            _all_get(viewers, 15, 20)
        finally:
            for go in leave:
                go()
            hub.close()


def test_viewers_fall_back_to_a_connection_of_the_hub_when_the_worker_is_gone(
    tmp_path: Path, camera_server: RtspServer
) -> None:
    data = tmp_path / "data"
    with CameraRuns(data) as runs:
        sup, cam = _recorded_camera(runs, camera_server, max_restarts=0, failed_retry_s=600)
        hub = LiveHub(SystemClock(), linger_s=1.0, feeds=feed_dir(data))
        viewers, leave = _watch(hub, cam, 2)
        try:
            _all_get(viewers, 15, 30)
            assert _muxer(hub).stats.via == "worker"
            os.kill(sup.pids()["gate"], signal.SIGKILL)  # not restarted
            _all_get(viewers, 30, 40)
            assert _muxer(hub).stats.via == "camera" and camera_server.clients == 1
        finally:
            for go in leave:
                go()
            hub.close()


def test_a_reader_that_falls_behind_resumes_at_the_next_keyframe_after_the_init() -> None:
    ours, theirs = socket.socketpair()
    gone: list[Any] = []
    reader = _Reader(ours, 4, gone.append)
    reader.offer(INIT, b"init")
    for i in range(6):  # the fourth unit overflows: all queued is dropped
        reader.offer(KEY if i == 0 else FRAGMENT, f"f{i}".encode())
    reader.offer(KEY, b"k")
    reader.offer(FRAGMENT, b"g")
    assert reader.dropped == 4
    reader.start()
    client = FeedClient(theirs)
    got: list[tuple[str, bytes, bool]] = []
    for unit in client.units(silence_s=2, stop=lambda: len(got) == 3):
        got.append(unit)
    assert got == [("init", b"init", False), ("fragment", b"k", True), ("fragment", b"g", False)]
    client.close()
    reader.offer(FRAGMENT, b"h")  # a reader that hung up is noticed at the next unit
    _until(lambda: gone == [reader], 5, "the reader to leave")


def test_a_live_mux_failure_lets_the_readers_go_and_never_reaches_the_worker(
    tmp_path: Path,
) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=1, passes=[])
    feed = LiveFeed(socket_path(tmp_path, "c", "main"))
    feed.start()
    client = FeedClient.connect(feed.path)
    assert client is not None
    _until(lambda: feed.readers == 1, 5, "the reader")
    with av.open(str(clip.path)) as inp:
        packet = next(p for p in inp.demux(video=0) if p.size)
        feed.feed(packet, "not a stream", 0.0)  # the muxer cannot be made: no exception here
    assert feed.readers == 0
    with pytest.raises(SourceError, match="ended"):
        for _ in client.units(silence_s=2, stop=lambda: False):
            pass
    client.close()
    feed.close()
