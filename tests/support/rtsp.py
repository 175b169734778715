"""A real RTSP server (GStreamer's gst-rtsp-server under Debian's python3) serving one file,
and the H.264 clip it serves. Real camera workers and a collector of their messages are in
``tests.support.workers``."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import rtcc.bench
from cameras.synthetic import write_demo_clip
from tests.support.paths import SHARED
from tests.support.serving import free_port

SERVER_SCRIPT = Path(rtcc.bench.__file__).with_name("rtsp_server.py")  # shared with the bench
SYSTEM_PYTHON = "/usr/bin/python3"
CLIP = "data/video/theAIGuysCode/license_plate.mp4"


def gst_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists() or shutil.which("ffmpeg") is None:
        return False
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); "
             "from gi.repository import GstRtspServer")
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


def make_rtsp_clip(folder: Path) -> Path:
    """An H.264 file (no B-frames, keyframe every second, ~5 min) in ``folder``, made from the
    real clip, or from the synthetic demo clip when ../shared is absent."""
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
    """``start``/``kill``/``restart`` a real RTSP server serving one file at ``/cam``. With
    ``count_clients`` it counts its RTSP clients: ``clients`` connected now, ``clients_seen``
    since it started (each camera connection is one client)."""

    def __init__(self, clip: Path, *, user: str = "", password: str = "",
                 count_clients: bool = False) -> None:
        self.clip, self.user, self.password = clip, user, password
        self.count_clients = count_clients
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.clients = self.clients_seen = 0

    def url(self, path: str = "/cam", credentials: str | None = None) -> str:
        auth = f"{credentials}@" if credentials else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        cmd = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--file",
               str(self.clip)]
        if self.user:
            cmd += ["--user", self.user, "--password", self.password]
        if self.count_clients:
            cmd.append("--report-clients")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.kill()
            raise RuntimeError(f"RTSP server did not start: {line!r}")
        if self.count_clients:
            threading.Thread(target=self._count, args=(self.proc.stdout,), daemon=True).start()

    def _count(self, lines: Any) -> None:
        with contextlib.suppress(ValueError, OSError):  # ``kill`` closed the pipe
            for line in lines:
                if line.startswith("client+"):
                    self.clients += 1
                    self.clients_seen += 1
                elif line.startswith("client-"):
                    self.clients -= 1

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        self.proc = None
