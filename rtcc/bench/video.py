"""``rtcc bench video``: recording and live video of N cameras on a real RTSP server.

Without ``--url`` the command starts its own RTSP server (``rtsp_server.py`` under Debian's
python3 with GStreamer) serving N sessions of a 720p H.264 clip it makes (or ``--video``).

``--mode record``: N real camera workers with ``lpr: false`` record by stream copy for
``--seconds``; prints the workers' CPU, frames decoded (0), segments, gaps, media and wall
seconds. Next to it, from the same run, today's MJPEG path: the same cameras decoded (what the
JPEG live frames and the MJPEG stream need).

``--mode live``: the same record-only workers plus the live muxers of this process (one per
camera, reading the worker's live feed), measured with no viewer, with the muxers alone and with
``--viewers`` real HTTP viewers (a separate process) reading the fragmented MP4 streams: the
server's and the workers' CPU with V viewers vs none (:mod:`rtcc.bench.videolive`).

``--mode latency``: glass-to-glass latency of live video through the real server into headless
Chromium, p50/p95 over at least 100 displayed frames (:mod:`rtcc.bench.videolatency`).
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from cameras import launch
from cameras.catalog import no_plates
from cameras.messages import SegmentMessage, StatusMessage
from cameras.supervisor import CameraSupervisor
from cameras.worker import WorkerSpec
from rtcc.bench.videoclip import make_clip
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings, LprSettings
from rtcc.errors import InvalidInputError

SERVER = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("video", help="recording / live video of N RTSP cameras (stream copy)")
    add_config(p)
    p.add_argument("--cameras", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--mode", choices=["record", "live", "latency"], default="record",
                   help="latency: glass-to-glass latency of live video in headless Chromium "
                        "(one stamped live camera of its own; --seconds: how long to measure)")
    p.add_argument("--viewers", type=int, default=0, help="live mode: HTTP viewers")
    p.add_argument("--video", type=Path, default=None, help="an H.264 MP4 to serve")
    p.add_argument("--url", default=None, help="a camera URL instead of the built-in server")
    p.add_argument("--no-baseline", action="store_true", help="skip the MJPEG (decode) figure")
    p.add_argument("--start-method", choices=["forkserver", "spawn"], default="forkserver",
                   help="how camera processes start (spawn: each imports everything anew)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


@dataclass
class _Run:
    segments: list[SegmentMessage] = field(default_factory=list)
    status: dict[str, StatusMessage] = field(default_factory=dict)
    offline: int = 0
    window_start: datetime | None = None  # the measured window (wall time)
    window_end: datetime | None = None
    camera_cpu: float = 0.0  # the RTSP server's CPU (s/s) over the window, when it is ours
    startup_s: float = 0.0  # supervisor start to every camera online

    def gaps(self) -> int:
        """Recorded gaps and camera losses inside the measured window."""
        start = self.window_start
        inside = [s for s in self.segments if start is not None and s.start_at >= start]
        return sum(1 for s in inside if s.gap_before_s > 0) + self.offline

    def coverage(self) -> tuple[float, float, float]:
        """Over the measured window: (recorded seconds, seconds missing between the window's
        start and each camera's last recorded moment, the largest backlog at the stop: how far
        behind the window's end a camera's recording ended)."""
        if self.window_start is None or self.window_end is None:
            return 0.0, 0.0, 0.0
        recorded = holes = backlog = 0.0
        by_camera: dict[str, list[SegmentMessage]] = {}
        for seg in self.segments:
            by_camera.setdefault(seg.camera_id, []).append(seg)
        for segs in by_camera.values():
            cursor = self.window_start
            for seg in sorted(segs, key=lambda x: x.start_at):
                a, b = max(seg.start_at, cursor), min(seg.end_at, self.window_end)
                if b > a:
                    holes += (a - cursor).total_seconds()
                    recorded += (b - a).total_seconds()
                    cursor = b
            backlog = max(backlog, (self.window_end - cursor).total_seconds())
        return recorded, holes, backlog


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` (those gone count 0)."""
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


@contextmanager
def rtsp_server(clip: Path, count: int) -> Iterator[tuple[str, int]]:
    """Serve ``count`` sessions of ``clip``; yields the URL prefix (append the index) and the
    server's pid. Its diagnostics go to a file (a full pipe would stall it)."""
    if not Path(SYSTEM_PYTHON).exists():
        raise InvalidInputError("the built-in RTSP server needs Debian's python3 with GStreamer")
    errors = clip.with_name("rtsp-server.log")
    with socket_port() as port, errors.open("w") as err:
        proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(SERVER), "--port", str(port), "--file", str(clip),
             "--path", "/cam", "--count", str(count)],
            stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            tail = errors.read_text(errors="replace")[-300:]
            raise InvalidInputError(f"the RTSP server did not start: {line!r} {tail}")
        yield f"rtsp://127.0.0.1:{port}/cam", proc.pid
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def socket_port() -> Iterator[int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    yield port


def _specs(urls: list[str], data: Path, *, decode: bool, segment_s: int) -> list[WorkerSpec]:
    lpr = LprSettings()
    specs = []
    for i, url in enumerate(urls):
        cam = CameraSettings(id=f"v{i}", url=url, lpr=decode, record=not decode,
                             segment_seconds=segment_s, read_timeout_s=5, connect_timeout_s=5,
                             reconnect_max_s=2, detect_fps=5)
        specs.append(WorkerSpec(cam, lpr, data, recognizer=no_plates))
    return specs


def _drain(sup: CameraSupervisor, run: _Run, until: float) -> None:
    while time.monotonic() < until:
        try:
            msg = sup.messages.get(timeout=0.2)
        except queue.Empty:
            continue
        if isinstance(msg, SegmentMessage):
            run.segments.append(msg)
        elif isinstance(msg, StatusMessage):
            if msg.state in ("offline", "error") and run.window_start and not run.window_end:
                run.offline += 1  # a camera lost inside the measured window
            run.status[msg.camera_id] = msg


def _workers(specs: list[WorkerSpec], seconds: float, data: Path,
             during: Callable[[list[int]], None] | None = None,
             camera_pid: int | None = None) -> tuple[_Run, float, float]:
    """Run the workers until all are online, then ``seconds`` more; (run, cpu s/s, wall s)."""
    sup = CameraSupervisor([], lpr=LprSettings(), data_dir=data, clock=SystemClock(), specs=specs)
    begun = time.monotonic()
    sup.start()
    run = _Run()
    try:
        deadline = time.monotonic() + 60 + 2 * len(specs)
        while time.monotonic() < deadline and not (
                len(run.status) == len(specs)
                and all(s.state == "online" for s in run.status.values())):
            _drain(sup, run, time.monotonic() + 0.1)
        run.startup_s = time.monotonic() - begun
        pids = [p for p in sup.pids().values() if p]
        run.window_start = datetime.now(UTC)
        cam0 = cpu_seconds([camera_pid]) if camera_pid else 0.0
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        if during is not None:
            threading.Thread(target=during, args=(pids,), daemon=True).start()
        _drain(sup, run, t0 + seconds)
        cpu1, t1 = cpu_seconds(pids), time.monotonic()
        run.camera_cpu = ((cpu_seconds([camera_pid]) - cam0) / (t1 - t0)) if camera_pid else 0.0
        run.window_end = datetime.now(UTC)
    finally:
        sup.stop(timeout=20)
    _drain(sup, run, time.monotonic() + 1.0)
    return run, (cpu1 - cpu0) / (t1 - t0), t1 - t0


def _percent(cpu_s_per_s: float) -> float:
    return round(100.0 * cpu_s_per_s / (psutil.cpu_count() or 1), 1)


def _record(args: argparse.Namespace, urls: list[str], tmp: Path) -> dict[str, Any]:
    segment_s = max(2, min(60, int(args.seconds // 3) or 2))
    run, cpu, wall = _workers(_specs(urls, tmp / "rec", decode=False, segment_s=segment_s),
                              args.seconds, tmp / "rec",
                              camera_pid=getattr(args, "server_pid", None))
    media, holes, backlog = run.coverage()
    result: dict[str, Any] = {
        "mode": "record", "cameras": len(urls), "cpu_percent": _percent(cpu),
        "decoded_frames": sum(s.decoded_frames for s in run.status.values()),
        "segments": len(run.segments),
        "gaps": run.gaps(),
        "media_seconds": round(media, 1), "wall_seconds": round(wall, 1),
        "media_share_of_wall": round(media / (wall * len(urls)), 3),
        "missing_seconds": round(holes, 2),  # holes in the recording inside the window
        "stop_backlog_s": round(backlog, 2),  # recording not yet written when it stopped
        "online_cameras": sum(1 for s in run.status.values() if s.state == "online"),
        "startup_seconds": round(run.startup_s, 1),  # supervisor start to every camera online
        "start_method": launch.preferred,
        "rtsp_server_cpu_percent": _percent(run.camera_cpu),
    }
    if not args.no_baseline:
        result["mjpeg_baseline"] = _mjpeg_baseline(urls, tmp, args.seconds, segment_s)
    return result


def _mjpeg_baseline(urls: list[str], tmp: Path, seconds: float, segment_s: int) -> dict[str, Any]:
    """Today's MJPEG path for the same cameras: workers that decode every frame (for the JPEG
    live frames the MJPEG stream serves), their CPU; serving the JPEGs comes on top."""
    base, bcpu, _ = _workers(_specs(urls, tmp / "dec", decode=True, segment_s=segment_s),
                             seconds, tmp / "dec")
    return {
        "what": "today's live path: every frame decoded (JPEG live frames / MJPEG)",
        "cpu_percent": _percent(bcpu),
        "decoded_frames": sum(s.decoded_frames for s in base.status.values()),
    }


def _run(args: argparse.Namespace) -> int:
    if args.cameras < 1 or args.seconds <= 0 or args.viewers < 0:
        raise InvalidInputError("need --cameras >= 1, --seconds > 0, --viewers >= 0")
    launch.preferred = args.start_method
    ok = True
    with tempfile.TemporaryDirectory(prefix="rtcc-bench-video-") as name:
        tmp = Path(name)
        if args.mode == "latency":
            from rtcc.bench.videolatency import MIN_FRAMES, latency

            with socket_port() as port:
                result = latency(args, tmp, port)
            ok = result["frames"] >= MIN_FRAMES  # fewer: no figure worth printing
        elif args.url:
            result = _measure(args, [args.url] * args.cameras, tmp)
        else:
            clip = args.video or make_clip(tmp / "clip.mp4", seconds=args.seconds * 2 + 90)
            with rtsp_server(clip, args.cameras) as (prefix, pid):
                args.server_pid = pid
                result = _measure(args, [f"{prefix}{i}" for i in range(args.cameras)], tmp)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    return 0 if ok else 1


def _measure(args: argparse.Namespace, urls: list[str], tmp: Path) -> dict[str, Any]:
    if args.mode == "record":
        return _record(args, urls, tmp)
    from rtcc.bench.videolive import live  # the HTTP side only when asked for

    result = live(args, urls, tmp, _workers, _specs, _percent)
    if not args.no_baseline:  # next to the viewers' cost, from the same run
        result["mjpeg_baseline"] = _mjpeg_baseline(urls, tmp, args.seconds, segment_s=10)
    return result

