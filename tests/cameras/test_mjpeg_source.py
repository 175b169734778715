"""HTTP MJPEG cameras: a real HTTP server (stdlib, on loopback) streams
``multipart/x-mixed-replace`` JPEG frames of the real clip into a real camera worker."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import pytest

from cameras.messages import ReadMessage, StatusMessage
from cameras.synthetic import write_demo_clip
from tests.support.paths import SHARED
from tests.support.rtsp import CLIP
from tests.support.scripted import ScriptedFactory
from tests.support.workers import MODEL_LOAD_S, CameraRuns, state_is

pytestmark = [pytest.mark.slow]


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started

BOUNDARY = "rtccframe"
SERVE_FPS = 15.0


def _jpeg_frames(clip: Path, step: int = 2) -> list[bytes]:
    cap = cv2.VideoCapture(str(clip))
    frames: list[bytes] = []
    index = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        if index % step == 0:
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
            assert ok
            frames.append(buf.tobytes())
        index += 1
    cap.release()
    assert frames, f"no frames decoded from {clip}"
    return frames


@pytest.fixture(scope="module")
def clip_jpegs(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """JPEG frames of the real clip at 15 fps, or of the synthetic clip without ../shared."""
    clip = SHARED / CLIP
    if not clip.exists():
        clip = tmp_path_factory.mktemp("mjpeg") / "synthetic.mp4"
        write_demo_clip(clip)
    return _jpeg_frames(clip)


class MjpegServer:
    """A real HTTP server: ``/cam.mjpg`` streams the frames in a loop, anything else is 404."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.stopping = threading.Event()
        self.clients = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                if self.path != "/cam.mjpg":
                    self.send_error(404, "no such camera")
                    return
                server.clients += 1
                self.send_response(200)
                self.send_header("Content-Type",
                                 f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.stream(self.wfile)  # until the camera hangs up or the server stops

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/cam.mjpg") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stream(self, out: Any) -> None:
        i = 0
        while not self.stopping.is_set():
            data = self.frames[i % len(self.frames)]
            out.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
            out.flush()
            i += 1
            self.stopping.wait(1.0 / SERVE_FPS)

    def __enter__(self) -> MjpegServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def mjpeg_server(clip_jpegs: list[bytes]) -> Iterator[MjpegServer]:
    with MjpegServer(clip_jpegs) as server:
        yield server


def test_http_mjpeg_camera_online_with_frames_and_read(
    mjpeg_server: MjpegServer, runs: CameraRuns, model_dir: Path, tmp_path: Path
) -> None:
    sup, got = runs.start([{"id": "mj", "url": mjpeg_server.url()}],
                          lpr={"model_dir": str(model_dir)})
    got.wait_for(state_is("mj", "online"), MODEL_LOAD_S, "MJPEG camera online")
    status = got.wait_for(
        lambda m: isinstance(m, StatusMessage) and m.camera_id == "mj" and m.input_fps > 5,
        15, "a status with the input frame rate",
    )
    assert status.last_frame_at is not None and mjpeg_server.clients >= 1
    live = cv2.imread(str(tmp_path / "data" / "live" / "mj.jpg"))
    assert live is not None and 0 < live.shape[1] <= 960  # the console's frame, size-bounded
    read = got.wait_for(lambda m: isinstance(m, ReadMessage), 40, "a plate read")
    if (SHARED / CLIP).exists():
        expected = got.wait_for(
            lambda m: isinstance(m, ReadMessage) and m.record.plate == "LS15EBC", 40,
            "LS15EBC read")
        assert expected.camera_id == "mj"
    else:
        assert read.record.plate
    assert not any(state_is("mj", "error", "failed")(m) for m in got.messages)
    assert sup.restarts("mj") == 0


def test_http_404_gives_a_clear_error(mjpeg_server: MjpegServer, runs: CameraRuns) -> None:
    sup, got = runs.start([{"id": "gone", "url": mjpeg_server.url("/nope.mjpg")}],
                          recognizer=ScriptedFactory(()))
    msg = got.wait_for(state_is("gone", "error", "offline"), 20, "an error status")
    assert msg.state == "error", msg
    assert "not found" in (msg.message or "") and msg.message.startswith("http://127.0.0.1")
    time.sleep(1)
    assert sup.restarts("gone") == 0
