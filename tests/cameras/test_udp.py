"""RTSP over UDP (``transport: udp``) against the real GStreamer RTSP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import psutil
import pytest

from cameras.messages import ReadMessage, StatusMessage
from tests.support.rtsp import RtspServer
from tests.support.workers import MODEL_LOAD_S, CameraRuns, state_is

pytestmark = [pytest.mark.slow, pytest.mark.rtsp]


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def test_udp_camera_goes_online_with_frames_and_reads(
    rtsp_server: RtspServer, runs: CameraRuns, model_dir: Path, tmp_path: Path
) -> None:
    sup, got = runs.start([{"id": "udp", "url": rtsp_server.url(), "transport": "udp"}],
                          lpr={"model_dir": str(model_dir)})
    got.wait_for(state_is("udp", "online"), MODEL_LOAD_S, "online over UDP")
    frames = got.wait_for(
        lambda m: isinstance(m, StatusMessage) and m.camera_id == "udp" and m.input_fps > 5,
        15, "a status with the input frame rate",
    )
    assert frames.last_frame_at is not None and frames.state in ("online", "degraded")
    # the media really arrives over UDP: the worker holds UDP sockets (RTP/RTCP) on loopback
    udp = psutil.Process(sup.pids()["udp"]).net_connections(kind="udp")
    assert udp, "the worker has no UDP socket: the stream did not come over UDP"
    live = cv2.imread(str(tmp_path / "data" / "live" / "udp.jpg"))
    assert live is not None and live.shape[1] > 0  # a decoded frame from the UDP stream
    read = got.wait_for(lambda m: isinstance(m, ReadMessage), 30, "a plate read over UDP")
    assert read.camera_id == "udp" and read.record.plate
    assert not any(state_is("udp", "error", "failed")(m) for m in got.messages)
    assert sup.restarts("udp") == 0
