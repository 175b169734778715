"""``rtcc bench cameras``: N real camera workers replaying a duty-cycled workload in real time.

The workload is the video re-timed to ``--source-fps`` (a reduced-rate analytics substream),
followed by still background frames (with sensor-like noise) so that vehicles are in view
``--duty`` of the time. Camera *i* starts ``i/N`` of a period into the loop, so passes are spread
over time as on a real street. ``--mode gated`` uses the motion gate (with ``--detector``: each
camera's own models, or one shared detector service), ``--mode naive`` runs the recognizer on
every sampled frame in each camera's own process, and ``--mode both`` runs gated then naive on the
same workload in one invocation, so their figures compare on the same machine at the same load.
Every result names the CPU and the resident memory per camera (all worker processes, the shared
detector included, divided by the camera count).
"""

from __future__ import annotations

import argparse
import json
import queue
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import psutil

from cameras.messages import ReadMessage, StatusMessage
from cameras.supervisor import CameraSupervisor
from cameras.worker import WorkerSpec
from lpr.recognizer import load_detector
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings, LprSettings, MotionSettings, Settings, load_settings
from rtcc.errors import InvalidInputError

SIZE = (1280, 720)
DRAIN_S = 3.0  # extra wait for reads of passes that ended inside the window


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("cameras", help="camera workers at real-time pace, gated vs naive")
    add_config(p)
    p.add_argument("--video", type=Path, required=True, help="a clip with a vehicle pass")
    p.add_argument("--cameras", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--duty", type=float, default=0.25, help="share of time a vehicle is in view")
    p.add_argument("--source-fps", type=float, default=10.0)
    p.add_argument("--detect-fps", type=float, default=5.0)
    p.add_argument("--mode", choices=["gated", "naive", "both"], default="gated")
    p.add_argument(
        "--detector",
        choices=["per_camera", "shared"],
        default=None,
        help="gated mode: models per camera or one service per host (default: lpr.detector)",
    )
    p.add_argument(
        "--detector-processes",
        type=int,
        default=None,
        help="shared detector: processes in the pool (default: lpr.detector_processes)",
    )
    p.add_argument("--model-dir", type=Path, default=None, help="offline model bundle")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


@dataclass(frozen=True)
class Workload:
    path: Path
    fps: float
    pass_s: float  # vehicle in view during [0, pass_s) of each period
    period_s: float


def _pass_frames(video: Path, fps: float) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    next_t = 0.0
    try:
        with av.open(str(video)) as inp:
            for vf in inp.decode(video=0):
                t = float(vf.time or 0.0)
                if t + 1e-3 >= next_t:
                    next_t += 1.0 / fps
                    frames.append(cv2.resize(vf.to_ndarray(format="bgr24"), SIZE))
    except av.error.FFmpegError as exc:
        raise InvalidInputError(f"--video {video}: not a readable video ({exc})") from None
    if len(frames) < 2:
        raise InvalidInputError(f"--video {video}: too few frames")
    return frames


def empty_street(frames: list[np.ndarray], lpr: LprSettings) -> np.ndarray:
    """The scene without the vehicle: the per-pixel median of the pass, with whatever the real
    detector still finds there (a ghost of the plate where the car lingered) painted out, so
    that the still frames hold no plate in either mode."""
    background = np.median(np.stack(frames[::2]), axis=0).astype(np.uint8)
    detector = load_detector(lpr)
    h, w = background.shape[:2]
    for _ in range(5):
        found = detector.predict(background)
        if not found:
            return background
        mask = np.zeros((h, w), np.uint8)
        for det in found:
            bb = det.bounding_box
            px, py = (bb.x2 - bb.x1) // 2, (bb.y2 - bb.y1) // 2
            cv2.rectangle(
                mask,
                (max(bb.x1 - px, 0), max(bb.y1 - py, 0)),
                (min(bb.x2 + px, w - 1), min(bb.y2 + py, h - 1)),
                255,
                -1,
            )
        background = cv2.inpaint(background, mask, 9, cv2.INPAINT_TELEA)
    raise InvalidInputError("--video: cannot make an empty background (plates everywhere?)")


def build_workload(
    video: Path, folder: Path, *, fps: float, duty: float, lpr: LprSettings
) -> Workload:
    """Write the looped workload (pass + background) as H.264, keyframe every second."""
    frames = _pass_frames(video, fps)
    background = empty_street(frames, lpr)
    still = round(len(frames) * (1.0 - duty) / duty)
    still -= (len(frames) + still) % int(round(fps))  # whole seconds: offsets land on keyframes
    path = folder / "workload.mp4"
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        stream.options = {"g": str(int(round(fps))), "bf": "0", "preset": "veryfast"}
        for i in range(len(frames) + still):
            img: np.ndarray = (
                frames[i]
                if i < len(frames)
                else cv2.add(background, rng.integers(0, 4, background.shape, dtype=np.uint8))
            )
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return Workload(path, fps, len(frames) / fps, (len(frames) + still) / fps)


@dataclass
class _Cam:
    offset_s: float
    started_at: datetime | None = None
    last: StatusMessage | None = None
    passes: set[int] = field(default_factory=set)


def _pass_index(cam: _Cam, w: Workload, at: datetime) -> int | None:
    assert cam.started_at is not None
    media = (at - cam.started_at).total_seconds() + cam.offset_s
    k, into = divmod(media, w.period_s)
    return int(k) if -0.5 <= into <= w.pass_s + 0.5 else None


def _expected(cam: _Cam, w: Workload, media_s: float) -> set[int]:
    """Indexes of the passes wholly inside the part of the loop this camera played."""
    first, last = cam.offset_s, cam.offset_s + media_s
    k0 = int(np.ceil(first / w.period_s - 1e-9))
    return {k for k in range(k0, int(last // w.period_s) + 1) if k * w.period_s + w.pass_s <= last}


def _collect(
    sup: CameraSupervisor,
    cams: dict[str, _Cam],
    w: Workload,
    until: float,
    done: Callable[[], bool] = lambda: False,
) -> None:
    while time.monotonic() < until and not done():
        try:
            msg = sup.messages.get(timeout=0.2)
        except queue.Empty:
            continue
        cam = cams.get(getattr(msg, "camera_id", ""))
        if cam is None:
            continue
        if isinstance(msg, StatusMessage):
            if msg.state in ("online", "degraded") and cam.started_at is None:
                cam.started_at = msg.last_frame_at
            if msg.state in ("error", "failed"):
                raise InvalidInputError(f"camera {msg.camera_id}: {msg.message}")
            cam.last = msg
        elif isinstance(msg, ReadMessage) and cam.started_at is not None:
            k = _pass_index(cam, w, msg.record.first_seen)
            if k is not None:
                cam.passes.add(k)


def _run(args: argparse.Namespace) -> int:
    if not 0 < args.duty <= 1 or args.cameras < 1 or args.seconds <= 0:
        raise InvalidInputError("need 0 < --duty <= 1, --cameras >= 1, --seconds > 0")
    if args.detector_processes is not None and not 1 <= args.detector_processes <= 64:
        raise InvalidInputError("--detector-processes: need 1 to 64")
    settings: Settings = load_settings(getattr(args, "config", None))
    lpr = settings.lpr.model_copy(
        update={
            "model_dir": args.model_dir or settings.lpr.model_dir,
            "detector": args.detector or settings.lpr.detector,
            "detector_processes": args.detector_processes or settings.lpr.detector_processes,
        }
    )
    modes = ["gated", "naive"] if args.mode == "both" else [args.mode]
    with tempfile.TemporaryDirectory(prefix="rtcc-bench-") as tmp:
        work = build_workload(args.video, Path(tmp), fps=args.source_fps, duty=args.duty, lpr=lpr)
        results = {}
        for mode in modes:
            # naive is the baseline as it was: every camera loads its own models and analyses
            # every sampled frame, however late (no stale-frame dropping)
            mode_lpr = lpr if mode == "gated" else lpr.model_copy(
                update={"detector": "per_camera", "drop_stale_frames": False})
            results[mode] = _measure(mode, args, work, mode_lpr, Path(tmp) / mode)
    _print(_combine(results, args.mode), args.json)
    return 0


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name as the kernel reports it ("unknown" where it does not)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("model name", "Model", "cpu model") and value.strip():
            return value.strip()
    return "unknown"


def _combine(results: dict[str, dict[str, Any]], mode: str) -> dict[str, Any]:
    cpu = {"cpu_model": cpu_model(), "cpu_count": psutil.cpu_count() or 1}
    if mode != "both":
        return {**results[mode], **cpu}
    gated, naive = results["gated"]["cameras_kept_up"], results["naive"]["cameras_kept_up"]
    return {
        "mode": "both",
        "cameras": results["gated"]["cameras"],
        **cpu,
        "gated": results["gated"],
        "naive": results["naive"],
        # cameras that kept up (lag <= 2 s, every pass seen) under ours per camera under naive
        "kept_up_ratio": round(gated / naive, 2) if naive else None,
    }


def _workers_cpu() -> float:
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _workers_memory_mb() -> tuple[float, float]:
    """Resident memory of every worker process (the shared detector included): RSS, and PSS,
    which divides the pages processes share (libraries, shared frames) among them."""
    rss = pss = 0
    for child in psutil.Process().children(recursive=True):
        try:
            info = child.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20


def _measure(
    mode: str, args: argparse.Namespace, w: Workload, lpr: LprSettings, tmp: Path
) -> dict[str, Any]:
    n = args.cameras
    motion = MotionSettings(enabled=mode == "gated")
    specs, cams = [], {}
    begin = time.time() + 20 + 5 * n  # every worker loads its models first, then all start
    for i in range(n):
        cam = CameraSettings(
            id=f"bench{i}",
            url=str(w.path),
            detect_fps=args.detect_fps,
            motion=motion,
            loop=True,
            realtime=True,
        )
        offset = float(round(i * w.period_s / n))
        specs.append(WorkerSpec(cam, lpr, tmp / "data", start_offset_s=offset, begin_at=begin))
        cams[cam.id] = _Cam(offset)
    sup = CameraSupervisor([], lpr=lpr, data_dir=tmp / "data", clock=SystemClock(), specs=specs)
    sup.start()
    try:
        _collect(
            sup,
            cams,
            w,
            time.monotonic() + 60 + 15 * n,
            lambda: all(c.started_at is not None for c in cams.values()),
        )
        if any(c.started_at is None for c in cams.values()):
            raise InvalidInputError("not every camera came online (models too slow to load?)")
        base = {k: c.last for k, c in cams.items() if c.last is not None}  # all: online
        cpu0, t0 = _workers_cpu(), time.monotonic()
        _collect(sup, cams, w, t0 + args.seconds)
        cpu1, t1 = _workers_cpu(), time.monotonic()
        rss_mb, pss_mb = _workers_memory_mb()
        at_end = {k: c.last for k, c in cams.items()}
        # Passes count up to the last frame played in the window; their reads may still be in
        # the pipeline (a track closes track_gap_s after the car leaves), so let them drain.
        _collect(sup, cams, w, time.monotonic() + lpr.track_gap_s + DRAIN_S)
        for key, state in cams.items():
            state.last = at_end[key]
    finally:
        sup.stop()
    result = _summary(mode, args, w, cams, base, (cpu1 - cpu0) / (t1 - t0))
    result["detector"] = lpr.detector
    if lpr.detector == "shared":
        result["detector_processes"] = lpr.detector_processes
    result["rss_mb_per_camera"] = round(rss_mb / n, 1)
    result["pss_mb_per_camera"] = round(pss_mb / n, 1)
    return result


def _summary(
    mode: str,
    args: argparse.Namespace,
    w: Workload,
    cams: dict[str, _Cam],
    base: dict[str, StatusMessage],
    cpu_s_per_s: float,
) -> dict[str, Any]:
    expected = seen = analysed = skipped = kept = decoded = overload = 0
    rates = []
    max_lag = 0.0
    for key, cam in cams.items():
        last, start = cam.last, cam.started_at
        if last is None or start is None or last.last_frame_at is None:
            continue
        want = _expected(cam, w, (last.last_frame_at - start).total_seconds())
        first = base.get(key, last)
        expected += len(want)
        seen += len(want & cam.passes)
        analysed += last.analysed_frames - first.analysed_frames
        decoded += last.decoded_frames - first.decoded_frames
        overload += last.overload_skipped - first.overload_skipped
        rates.append((last.analysed_frames - first.analysed_frames) / args.seconds)
        skipped += last.motion_skipped
        max_lag = max(max_lag, last.max_lag_s)
        kept += last.max_lag_s <= 2.0 and want <= cam.passes
    return {
        "mode": mode,
        "cameras": args.cameras,
        "seconds": args.seconds,
        "source_fps": args.source_fps,
        "detect_fps": args.detect_fps,
        "duty": args.duty,
        "kept_up": max_lag <= 2.0,
        "max_lag_s": round(max_lag, 2),
        "analysed_fps": round(analysed / args.seconds, 2),
        # fair degradation: the slowest and the fastest camera's analysed rate
        "camera_analysed_fps_range": [round(min(rates), 2), round(max(rates), 2)] if rates else [],
        "overload_skipped_frames": overload,  # wanted analysed, dropped: too far behind
        "decoded_fps": round(decoded / args.seconds, 2),  # all cameras together
        "gate_skipped_frames": skipped,
        "cpu_percent": round(100.0 * cpu_s_per_s / (psutil.cpu_count() or 1), 1),
        "passes_expected": expected,
        "passes_seen": seen,
        "cameras_kept_up": kept,
    }


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for sub, figure in value.items():
                print(f"  {sub:>20}: {figure}")
        else:
            print(f"{key:>22}: {value}")
