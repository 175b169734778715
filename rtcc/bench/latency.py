"""``rtcc bench latency``: time from the first sighting of a listed plate to its hit on a
connected console, through the real server.

A looping clip plays on a file camera of a real ``Runtime`` behind uvicorn; a websocket client
(an officer's API token) listens on ``/ws/events``. With the dedup window at 0 every pass of the
clip raises its own hit; the latency of a pass is the client's receive time minus the hit's
``observed_at`` (the capture time of the track's first frame, stamped by the camera on the wall
clock). The first hit of each track counts; the run ends after ``--passes`` of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_VIDEO = Path("/work/shared/data/video/theAIGuysCode/license_plate.mp4")
DEFAULT_PLATE = "LS15EBC"


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("latency", help="first-sighting-to-hit latency over the websocket")
    add_config(p)
    p.add_argument("--video", type=Path, default=DEFAULT_VIDEO, help="clip played in a loop")
    p.add_argument("--plate", default=DEFAULT_PLATE, help="the plate listed (seen in the clip)")
    p.add_argument("--passes", type=int, default=20, help="hits measured (at least 1)")
    p.add_argument("--model-dir", type=Path, default=None, help="LPR models (default: settings)")
    p.add_argument("--timeout", type=float, default=600.0, help="give up after this many s")
    p.add_argument(
        "--instant-preview-confidence",
        type=float,
        default=None,
        help="override lpr.instant_preview_confidence (1.0: previews wait for agreeing frames)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarize(latencies: list[float]) -> dict[str, Any]:
    """p50/p95 (nearest rank) of latencies in seconds."""
    if not latencies:
        return {"passes": 0, "p50_s": None, "p95_s": None, "max_s": None}
    ordered = sorted(latencies)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {
        "passes": len(ordered),
        "p50_s": round(statistics.median(ordered), 3),
        "p95_s": round(p95, 3),
        "max_s": round(ordered[-1], 3),
    }


def first_hit_latencies(messages: list[tuple[float, dict[str, Any]]], plate: str) -> list[float]:
    """From (receive time as epoch seconds, event) pairs: the latency of the first hit on
    ``plate`` per distinct ``observed_at`` (one per pass of the vehicle)."""
    seen: set[str] = set()
    out = []
    for received, msg in messages:
        if msg.get("type") != "hit" or msg.get("entry_plate", msg.get("plate")) != plate:
            continue
        observed = str(msg.get("observed_at") or "")
        if not observed or observed in seen:
            continue
        seen.add(observed)
        out.append(received - datetime.fromisoformat(observed).timestamp())
    return out


async def _listen(url: str, token: str, plate: str, passes: int, timeout: float) -> list[float]:
    import websockets

    messages: list[tuple[float, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(url, additional_headers=headers) as ws:
        while len(first_hit_latencies(messages, plate)) < passes:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                raw = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                break
            messages.append((time.time(), json.loads(raw)))
    return first_hit_latencies(messages, plate)[:passes]


def service_token(services: Any, *, username: str, role: str, purpose: str) -> str:
    """An API token of a new service account (no password) with one role, for a bench client."""
    from rtcc.audit import SYSTEM
    from rtcc.auth import tokens, users

    now = services.clock.now()
    with services.sessions() as session:
        users.create_user(
            session,
            username=username,
            roles=[role],
            password=None,
            now=now,
            actor=SYSTEM,
            min_password_length=services.settings.auth.min_password_length,
        )
        _, secret = tokens.issue(session, username=username, now=now, actor=SYSTEM, name=purpose)
        session.commit()
    return str(secret)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rtcc.config import load_settings
    from rtcc.runtime.runtime import Runtime
    from rtcc.runtime.services import build_services
    from web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        hotlist = Path(tmp) / "bench.csv"
        hotlist.write_text(f"plate,state,reason\n{args.plate},,latency bench\n")
        overrides: dict[str, Any] = {
            "data_dir": str(Path(tmp) / "data"),
            "database": {"url": f"sqlite:///{Path(tmp) / 'bench.db'}"},
            "cameras": [{"id": "bench", "url": str(args.video), "loop": True}],
            "hotlists": [{"name": "bench", "file": str(hotlist)}],
            "matching": {"dedup_window_s": 0, "realert_after_s": 0},
        }
        lpr: dict[str, Any] = {}
        if args.model_dir is not None:
            lpr["model_dir"] = str(args.model_dir)
        if getattr(args, "instant_preview_confidence", None) is not None:
            lpr["instant_preview_confidence"] = args.instant_preview_confidence
        if lpr:
            overrides["lpr"] = lpr
        settings = load_settings(getattr(args, "config", None), overrides=overrides)
        services = build_services(settings)
        try:
            app = create_app(services, Runtime(services))
            token = service_token(services, username="bench-officer", role="officer",
                                  purpose="latency bench")
            with serve_app(app) as base:
                ws_url = base.replace("http", "ws", 1) + "/ws/events"
                lat = asyncio.run(
                    _listen(ws_url, token, args.plate, max(1, args.passes), args.timeout)
                )
        finally:
            services.engine.dispose()
    return {
        "cpu": cpu_model(),
        "plate": args.plate,
        "video": str(args.video),
        **summarize(lat),
        # The first pass starts on an idle pipeline; later ones queue behind earlier frames
        # when analysis runs slower than real time (a rising trend below).
        "first_pass_s": round(lat[0], 3) if lat else None,
        "latencies_s": [round(x, 3) for x in lat],  # in pass order: a rising trend = backlog
    }


def serve_app(app: Any) -> Any:
    """uvicorn on a free loopback port in a thread (the same server ``rtcc serve`` runs)."""
    import socket
    import threading
    from contextlib import contextmanager

    import uvicorn

    @contextmanager
    def serving() -> Any:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 120
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(30)

    return serving()


def _run(args: argparse.Namespace) -> int:
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return 0 if result["passes"] else 1
    print(f"first-sighting-to-hit latency on {result['cpu']}")
    print(
        f"  {result['passes']} passes: p50 {result['p50_s']} s, p95 {result['p95_s']} s,"
        f" max {result['max_s']} s"
    )
    return 0 if result["passes"] else 1
