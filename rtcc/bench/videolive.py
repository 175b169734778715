"""The live side of ``rtcc bench video``: record-only workers, the live muxers of this process
behind a real HTTP server, and V real viewers (in another process) reading fragmented MP4."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import threading
import time
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
from rtcc.clock import SystemClock
from rtcc.config import CameraSettings
from web.routes.video import live_fragments


def _app(hub: LiveHub, urls: list[str]) -> Starlette:
    cams = [CameraSettings(id=f"v{i}", url=u) for i, u in enumerate(urls)]

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


def live(args: argparse.Namespace, urls: list[str], tmp: Path, workers: Callable[..., Any],
         specs: Callable[..., Any], percent: Callable[[float], float]) -> dict[str, Any]:
    hub = LiveHub(SystemClock(), linger_s=2.0)
    config = uvicorn.Config(_app(hub, urls), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    phase: dict[str, Any] = {}
    ctx = mp.get_context("spawn")
    out = ctx.Queue()

    def phases() -> None:
        c0, t0 = _self_cpu(), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = _self_cpu(), time.monotonic()
        phase["none"] = (c1 - c0) / (t1 - t0)
        proc = ctx.Process(target=_viewers, args=(base, args.viewers, len(urls), args.seconds, out))
        proc.start()
        time.sleep(min(5.0, args.seconds / 4))  # viewers connect, muxers start
        c2, t2 = _self_cpu(), time.monotonic()
        proc.join(args.seconds + 30)
        c3, t3 = _self_cpu(), time.monotonic()
        phase["viewers"] = (c3 - c2) / (t3 - t2)
        phase["muxers"] = len(hub.muxers())

    try:
        run, cpu, wall = workers(specs(urls, tmp / "rec", decode=False, segment_s=10),
                                 2 * args.seconds + 10, tmp / "rec", during=phases)
    finally:
        server.should_exit = True
        thread.join(10)
        hub.close()
    received = 0
    while not out.empty():
        received += out.get()
    none, with_v = percent(phase.get("none", 0.0)), percent(phase.get("viewers", 0.0))
    return {
        "mode": "live", "cameras": len(urls), "viewers": args.viewers,
        "cpu_percent": percent(cpu), "decoded_frames": 0,
        "server_cpu_percent_no_viewers": none, "server_cpu_percent_viewers": with_v,
        "viewers_add_cpu_percent": round(with_v - none, 1),
        "viewer_megabytes": round(received / 1e6, 1), "live_demuxes": phase.get("muxers", 0),
        "segments": len(run.segments),
        "gaps": run.gaps(),
        "wall_seconds": round(wall, 1),
    }
