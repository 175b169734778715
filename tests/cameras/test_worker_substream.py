"""A camera with a ``detect_url`` substream, on the real worker and two real RTSP servers: plate
recognition decodes the substream (640x360) while the main stream (1280x720) is recorded by
stream copy, and a substream that cannot be reached makes the camera degraded (never a camera
that records while silently analysing nothing), with the substream's credentials redacted."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from cameras.messages import SegmentMessage
from tests.support.clips import Clip, write_clip
from tests.support.rtsp import RtspServer, gst_available
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.serving import free_port
from tests.support.video_server import scaled
from tests.support.workers import CameraRuns, final_read, state_is

pytestmark = [pytest.mark.slow, pytest.mark.rtsp]

SCRIPT = ScriptedFactory((Reading(1.0, 4.0, "SUB123"),))
SECRET = "s3cret-sub"


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RtspServer, RtspServer]]:
    """(main 1280x720, sub 640x360) of the same scene, each on its own RTSP server."""
    if not gst_available():
        pytest.skip("GStreamer RTSP server or ffmpeg not installed")
    folder = tmp_path_factory.mktemp("substream")
    sub: Clip = write_clip(folder / "sub.mp4", seconds=12, passes=[(1.0, 4.0)])
    main = scaled(sub.path, folder / "main.mp4", 1280)
    pair = (RtspServer(main), RtspServer(sub.path))
    for server in pair:
        server.start()
    yield pair
    for server in pair:
        server.kill()


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def _size(path: Path) -> tuple[int, int]:
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe not installed")
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stream = json.loads(out.stdout)["streams"][0]
    return int(stream["width"]), int(stream["height"])


def test_reads_come_from_the_substream_and_the_main_stream_is_recorded(
    streams: tuple[RtspServer, RtspServer], runs: CameraRuns, tmp_path: Path
) -> None:
    main, sub = streams
    _, got = runs.start(
        [
            {
                "id": "gate",
                "url": main.url(),
                "detect_url": sub.url(),
                "record": True,
                "segment_seconds": 2,
                "detect_fps": 5,
            }
        ],
        recognizer=SCRIPT,
    )
    read = got.wait_for(final_read("gate", "SUB123"), 60, "a read of the substream")
    assert read.snapshot_path is not None
    snap = cv2.imread(str(tmp_path / "data" / read.snapshot_path))
    assert snap is not None and snap.shape[:2] == (360, 640)  # the analysed frame's size
    got.wait_for(lambda m: isinstance(m, SegmentMessage), 30, "a recorded segment")
    segments = [m for m in got.messages if isinstance(m, SegmentMessage)]
    assert all(_size(tmp_path / "data" / s.path) == (1280, 720) for s in segments)
    status = got.wait_for(state_is("gate", "online"), 10, "the camera online")
    assert status.decoded_frames > 0 and status.analysed_frames > 0
    # the live JPEG (the tile's fallback) comes from the decoded substream too
    live = cv2.imread(str(tmp_path / "data" / "live" / "gate.jpg"))
    assert live is not None and live.shape[:2] == (360, 640)


def test_an_unreachable_substream_degrades_the_camera_and_says_so_without_credentials(
    streams: tuple[RtspServer, RtspServer], runs: CameraRuns, tmp_path: Path
) -> None:
    main, _ = streams
    dead = f"rtsp://viewer:{SECRET}@127.0.0.1:{free_port()}/sub"
    _, got = runs.start(
        [
            {
                "id": "gate",
                "url": main.url(),
                "detect_url": dead,
                "record": True,
                "segment_seconds": 2,
            }
        ],
        recognizer=SCRIPT,
    )
    status = got.wait_for(state_is("gate", "degraded"), 30, "degraded: no substream")
    assert status.message.startswith("detect stream offline: rtsp://***@127.0.0.1:"), status
    assert status.message.endswith("no plate recognition"), status
    seg = got.wait_for(lambda m: isinstance(m, SegmentMessage), 30, "recording goes on")
    assert _size(tmp_path / "data" / seg.path) == (1280, 720)
    got.pump(1.0)
    assert not got.reads("gate")
    text = repr(got.messages)  # statuses, segments and the workers' log records
    assert SECRET not in text and "viewer:" not in text


def test_an_unreachable_main_stream_degrades_the_camera_while_reads_go_on(
    streams: tuple[RtspServer, RtspServer], runs: CameraRuns
) -> None:
    _, sub = streams
    dead = f"rtsp://127.0.0.1:{free_port()}/main"
    _, got = runs.start(
        [
            {
                "id": "gate",
                "url": dead,
                "detect_url": sub.url(),
                "record": True,
                "segment_seconds": 2,
            }
        ],
        recognizer=SCRIPT,
    )
    status = got.wait_for(
        lambda m: state_is("gate", "degraded")(m) and "main stream" in (m.message or ""),
        30,
        "degraded: no main stream",
    )
    assert status.message.startswith("main stream offline: rtsp://127.0.0.1:"), status
    assert status.message.endswith("not recording"), status
    got.wait_for(final_read("gate", "SUB123"), 60, "reads of the substream go on")
    assert not [m for m in got.messages if isinstance(m, SegmentMessage)]
