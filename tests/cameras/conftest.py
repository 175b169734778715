"""A real RTSP server (GStreamer's gst-rtsp-server under Debian's python3) and helpers to run
real camera workers and watch their messages."""

from __future__ import annotations

import contextlib
import queue
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cameras.synthetic import write_demo_clip
from tests.conftest import SHARED

SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
CLIP = "data/video/theAIGuysCode/license_plate.mp4"


def _gst_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists() or shutil.which("ffmpeg") is None:
        return False
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import GstRtspServer")
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def rtsp_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An H.264 file (no B-frames, keyframe every second, ~5 min) made from the real clip, or
    from the synthetic demo clip when ../shared is absent."""
    if not _gst_available():
        pytest.skip("GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) or ffmpeg "
                    "not installed")
    folder = tmp_path_factory.mktemp("rtsp")
    source = SHARED / CLIP
    if not source.exists():
        source = folder / "synthetic.mp4"
        write_demo_clip(source)
    one = folder / "one.mp4"
    ff = ["ffmpeg", "-loglevel", "error", "-y"]
    subprocess.run([*ff, "-i", str(source), "-an", "-vf", "fps=15", "-c:v", "libx264",
                    "-preset", "veryfast", "-bf", "0", "-g", "15", "-crf", "30", str(one)],
                   check=True)
    long = folder / "long.mp4"
    subprocess.run([*ff, "-stream_loop", "60", "-i", str(one), "-c", "copy", str(long)],
                   check=True)
    return long


class RtspServer:
    """``start``/``kill``/``restart`` a real RTSP server serving one file at ``/cam``."""

    def __init__(self, clip: Path, *, user: str = "", password: str = "") -> None:
        self.clip, self.user, self.password = clip, user, password
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None

    def url(self, path: str = "/cam", credentials: str | None = None) -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        cmd = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--file",
               str(self.clip)]
        if self.user:
            cmd += ["--user", self.user, "--password", self.password]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.kill()
            raise RuntimeError(f"RTSP server did not start: {line!r}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        self.proc = None


@pytest.fixture
def rtsp_server(rtsp_clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(rtsp_clip)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def rtsp_auth_server(rtsp_clip: Path) -> Iterator[RtspServer]:
    server = RtspServer(rtsp_clip, user="officer", password="s3cret-pass")
    server.start()
    yield server
    server.kill()


class Collector:
    """Everything the workers sent, with waits on conditions."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.messages: list[Any] = []

    def pump(self, seconds: float = 0.2) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            with contextlib.suppress(queue.Empty):
                self.messages.append(self.source.get(timeout=max(0.01, left)))
            if time.monotonic() >= end:
                return

    def wait_for(
        self, predicate: Callable[[Any], bool], timeout: float, what: str, *, since: int = 0
    ) -> Any:
        """The first message from index ``since`` on that satisfies ``predicate``."""
        end = time.monotonic() + timeout
        checked = since
        while True:
            for msg in self.messages[checked:]:
                checked += 1
                if predicate(msg):
                    return msg
            if time.monotonic() >= end:
                tail = [_brief(m) for m in self.messages[since:][-15:]]
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                     f"last messages: {tail}")
            self.pump(0.2)

    def mark(self) -> int:
        """Make later waits ignore what has been seen so far."""
        return len(self.messages)


def _brief(msg: Any) -> str:
    name = type(msg).__name__
    if not hasattr(msg, "camera_id"):  # a worker's log record
        return f"{name}({getattr(msg, 'msg', '')!r})"
    if hasattr(msg, "state"):
        return f"{name}({msg.camera_id} {msg.state} {msg.message})"
    return f"{name}({msg.camera_id})"


# --- real camera workers under a supervisor ----------------------------------------------------

MODEL_LOAD_S = 40.0  # a first frame can wait for the models on a busy machine


@pytest.fixture
def run_cameras(tmp_path: Path, model_dir: Path) -> Iterator[Any]:
    """``run_cameras([{camera settings}, ...]) -> (supervisor, Collector)``; stopped afterwards."""
    from cameras.supervisor import CameraSupervisor
    from rtcc.clock import SystemClock
    from rtcc.config import load_settings

    started: list[Any] = []

    def start(cameras: list[dict[str, Any]], **kwargs: Any) -> tuple[Any, Collector]:
        base = {"read_timeout_s": 3, "connect_timeout_s": 3, "reconnect_max_s": 2}
        settings = load_settings(None, environ={}, overrides={
            "data_dir": str(tmp_path / "data"),
            "lpr": {"model_dir": str(model_dir)},
            "cameras": [{**base, **c} for c in cameras],
        })
        sup = CameraSupervisor(settings.cameras, lpr=settings.lpr, data_dir=settings.data_dir,
                               clock=SystemClock(), **kwargs)
        sup.start()
        started.append(sup)
        return sup, Collector(sup.messages)

    yield start
    for sup in started:
        sup.stop(timeout=10)


def state_is(cam: str, *states: str) -> Callable[[Any], bool]:
    """A predicate for ``Collector.wait_for``: a status of ``cam`` in one of ``states``."""
    from cameras.messages import StatusMessage

    return lambda m: isinstance(m, StatusMessage) and m.camera_id == cam and m.state in states
