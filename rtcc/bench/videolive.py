"""The live side of ``rtcc bench video``: record-only workers, the live muxers of this process
behind a real HTTP server, and V real viewers (in another process) reading fragmented MP4.

The hub is the server's: it takes a camera's fragments from the local worker's live feed
(:mod:`cameras.live_feed`) when the worker serves one, else opens the camera itself. Three phases
of ``--seconds`` each, measured on the CPU of this process (the server) and of the workers: no
viewer (no muxer runs); the muxers alone (one in-process subscriber per camera that drops what
it gets: what the first viewer of a camera starts); then the V HTTP viewers on top.
``viewers_add_cpu_percent`` is the last minus the first (server and workers),
``fanout_add_cpu_percent`` the last minus the second (what the viewers themselves cost)."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from cameras.live import LiveHub
from cameras.live_feed import feed_dir
from rtcc.bench.video import cpu_seconds
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from web.routes.video import live_fragments


def _app(hub: LiveHub, cams: list[CameraSettings]) -> Starlette:
    async def stream(request: Request) -> StreamingResponse:
        cam = cams[int(request.path_params["index"]) % len(cams)]
        return StreamingResponse(live_fragments(hub, cam, "main"), media_type="video/mp4")

    return Starlette(routes=[Route("/live/{index:int}", stream)])


def _viewer(base: str, index: int, seconds: float, out: Any) -> None:
    got = 0
    end = time.monotonic() + seconds
    try:
        with httpx.stream("GET", f"{base}/live/{index}", timeout=10) as res:
            for chunk in res.iter_bytes():
                got += len(chunk)
                if time.monotonic() >= end:
                    break
    except httpx.HTTPError:
        pass
    out.put(got)


def _viewers(base: str, count: int, cameras: int, seconds: float, out: Any) -> None:
    """Child process: ``count`` viewers (threads) spread over the cameras."""
    threads = [threading.Thread(target=_viewer, args=(base, i % cameras, seconds, out))
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _self_cpu() -> float:
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def _discard(data: bytes | None) -> None:
    return None


def _window(seconds: float, workers: list[int]) -> tuple[float, float]:
    """The CPU (s/s) of this process and of the ``workers`` over the next ``seconds``."""
    c0, w0, t0 = _self_cpu(), cpu_seconds(workers), time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    return (_self_cpu() - c0) / wall, (cpu_seconds(workers) - w0) / wall


def _phase_figures(phase: dict[str, tuple[float, float]],
                   percent: Callable[[float], float]) -> dict[str, float]:
    """Server and workers' CPU per phase, and what the muxers and the viewers add."""
    srv = {k: percent(v[0]) for k, v in phase.items()}
    work = {k: percent(v[1]) for k, v in phase.items()}
    total = {k: srv[k] + work[k] for k in phase}
    figures = {}
    for name, key in (("no_viewers", "none"), ("muxers_only", "muxers"), ("viewers", "viewers")):
        figures[f"server_cpu_percent_{name}"] = srv.get(key, 0.0)
        figures[f"workers_cpu_percent_{name}"] = work.get(key, 0.0)
    return {
        **figures,
        # the headline: what V viewers add to the machine (server and workers)
        "viewers_add_cpu_percent": round(total.get("viewers", 0.0) - total.get("none", 0.0), 1),
        "server_viewers_add_cpu_percent": round(
            srv.get("viewers", 0.0) - srv.get("none", 0.0), 1),
        "fanout_add_cpu_percent": round(total.get("viewers", 0.0) - total.get("muxers", 0.0), 1),
    }


def live(args: argparse.Namespace, urls: list[str], tmp: Path, workers: Callable[..., Any],
         specs: Callable[..., Any], percent: Callable[[float], float]) -> dict[str, Any]:
    hub = LiveHub(SystemClock(), linger_s=2.0, feeds=feed_dir(tmp / "rec"))  # as the server
    cams = [CameraSettings(id=f"v{i}", url=u) for i, u in enumerate(urls)]
    config = uvicorn.Config(_app(hub, cams), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    phase: dict[str, tuple[float, float]] = {}
    seen: dict[str, Any] = {}
    ctx = mp.get_context("spawn")
    out = ctx.Queue()

    def phases(pids: list[int]) -> None:
        settle = min(5.0, args.seconds / 4)
        phase["none"] = _window(args.seconds, pids)
        leave = [hub.subscribe(cam, "main", _discard) for cam in cams]
        time.sleep(settle)  # the muxers connect
        phase["muxers"] = _window(args.seconds, pids)
        proc = ctx.Process(target=_viewers,
                           args=(base, args.viewers, len(urls), args.seconds + settle, out))
        proc.start()
        time.sleep(settle)  # the viewers start and connect
        phase["viewers"] = _window(args.seconds, pids)
        seen["muxers"] = len(hub.muxers())
        seen["via"] = dict(Counter(str(m.stats.via) for m in hub.muxers()))
        proc.join(settle + 30)
        for unsubscribe in leave:
            unsubscribe()

    try:
        run, cpu, wall = workers(specs(urls, tmp / "rec", decode=False, segment_s=10),
                                 3 * args.seconds + 20, tmp / "rec", during=phases)
    finally:
        server.should_exit = True
        thread.join(10)
        hub.close()
    received = 0
    while not out.empty():
        received += out.get()
    return {
        "mode": "live", "cameras": len(urls), "viewers": args.viewers,
        "cpu_percent": percent(cpu), "decoded_frames": 0,
        **_phase_figures(phase, percent),
        "viewer_megabytes": round(received / 1e6, 1), "live_demuxes": seen.get("muxers", 0),
        "live_via": seen.get("via", {}),  # worker: the worker's feed; camera: our own connection
        "segments": len(run.segments),
        "gaps": run.gaps(),
        "wall_seconds": round(wall, 1),
    }
