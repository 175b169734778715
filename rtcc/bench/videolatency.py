"""``rtcc bench video --mode latency``: glass-to-glass latency of live video on loopback.

A live RTSP camera (``videostamp_server.py`` under Debian's python3 with GStreamer) makes each
frame with the wall-clock milliseconds burnt in as a pattern of black and white squares and
encodes it to H.264 in real time. The real server (``create_app`` + ``Runtime`` behind uvicorn,
with that camera, ``lpr: false``) serves it as live fragmented MP4 (from the camera worker's live
feed when the worker serves one: ``live_via`` in the output); headless Chromium plays it
with the console's own player (``/static/js/msevideo.js``, Media Source Extensions). At each
displayed frame (``requestVideoFrameCallback``) the page draws the frame on a canvas, reads the
pattern back and takes the display time minus the time the frame was made. The first
``WARMUP_S`` after the first frame (the player joining at a keyframe and catching up to the live
edge) are not counted. Everything runs on one machine, so both ends read the same clock.
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from rtcc.bench.cameras import cpu_model
from rtcc.bench.latency import serve_app, service_token, summarize
from rtcc.errors import InvalidInputError
from rtcc.headless import CHROMIUM, PLAYBACK_ARGS

STAMP_SERVER = Path(__file__).with_name("videostamp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
CAMERA = "latency"
WIDTH, HEIGHT, FPS = 640, 360, 25
WARMUP_S = 2.0
MIN_FRAMES = 100
TARGET_S = 1.5  # issue 15: under 1.5 s glass to glass on loopback
PAGE = "<!doctype html><meta charset=utf-8><title>rtcc latency</title><body></body>"

# Runs in the page: play the live stream with the console's player and, at each displayed
# frame, read the stamp back, for ``seconds`` after the warm-up and at least ``minFrames``
# frames (a loaded machine shows fewer than 25 a second). Returns [display time (epoch ms),
# latency (ms)] pairs.
MEASURE_JS = """
async ({ url, seconds, warmup, minFrames }) => {
  const { LivePlayer } = await import("/static/js/msevideo.js");
  const video = document.createElement("video");
  Object.assign(video, { muted: true, autoplay: true, playsInline: true });
  document.body.appendChild(video);
  const player = new LivePlayer(video, url);
  const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  const read = () => {
    const w = video.videoWidth, b = Math.floor(w / 16), half = b >> 1;
    if (!b) return null;
    ctx.canvas.width = w; ctx.canvas.height = 4 * b;
    ctx.drawImage(video, 0, 0);
    const px = ctx.getImageData(0, 0, w, 4 * b).data;
    const rows = [0, 1, 2, 3].map((r) => {
      let v = 0;
      for (let i = 0; i < 16; i++) {
        const at = ((r * b + half) * w + i * b + half) * 4;
        v = v * 2 + ((px[at] + px[at + 1] + px[at + 2]) / 3 > 128 ? 1 : 0);
      }
      return v;
    });
    if (rows[3] !== 0xffff - rows[2]) return null;
    return rows[0] * 2 ** 32 + rows[1] * 2 ** 16 + rows[2];
  };
  const samples = [];
  let unreadable = 0, start = null, counted = 0;
  return await new Promise((resolve) => {
    const finish = () => { player.stop(); resolve({ samples, unreadable, start }); };
    setTimeout(finish, (seconds + warmup + 60) * 1000);
    const onFrame = (_now, meta) => {
      const shown = Math.max(Date.now(), performance.timeOrigin + meta.expectedDisplayTime);
      const made = read();
      if (made === null) unreadable++; else samples.push([shown, shown - made]);
      start ??= shown + warmup * 1000;
      if (shown >= start && made !== null) counted++;
      if (shown >= start + seconds * 1000 && counted >= minFrames) finish();
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}
"""


@contextmanager
def stamp_camera(port: int) -> Iterator[str]:
    """The live stamped RTSP camera on ``port``; yields its URL."""
    if not Path(SYSTEM_PYTHON).exists():
        raise InvalidInputError("the latency camera needs Debian's python3 with GStreamer")
    proc = subprocess.Popen(
        [
            SYSTEM_PYTHON,
            str(STAMP_SERVER),
            "--port",
            str(port),
            "--width",
            str(WIDTH),
            "--height",
            str(HEIGHT),
            "--fps",
            str(FPS),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise InvalidInputError(f"the latency camera did not start: {line!r}")
        yield f"rtsp://127.0.0.1:{port}/live"
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def console(url: str, tmp: Path, config: Path | None) -> Iterator[tuple[str, str, Any]]:
    """The real server with one live camera on ``url``; yields (base URL, API token, app)."""
    from rtcc.config import load_settings
    from rtcc.runtime.runtime import Runtime
    from rtcc.runtime.services import build_services
    from web.app import create_app

    overrides: dict[str, Any] = {
        "data_dir": str(tmp / "data"),
        "database": {"url": f"sqlite:///{tmp / 'bench.db'}"},
        "cameras": [{"id": CAMERA, "url": url, "lpr": False, "record": False}],
    }
    services = build_services(load_settings(config, overrides=overrides))
    try:
        app = create_app(services, Runtime(services))
        token = service_token(
            services, username="bench-viewer", role="detective", purpose="video latency bench"
        )
        with serve_app(app) as base:
            yield base, token, app
    finally:
        services.engine.dispose()


def watch(base: str, token: str, seconds: float) -> dict[str, Any]:
    """Play the camera in headless Chromium; the page's samples and unreadable frame count."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise InvalidInputError(f"the latency bench needs Chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(PLAYBACK_ARGS)
        )
        try:
            context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
            page = context.new_page()
            page.route(
                f"{base}/bench/latency",
                lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE),
            )
            page.goto(f"{base}/bench/latency")
            url = f"/api/video/{CAMERA}/live.mp4?stream=main"
            return dict(
                page.evaluate(
                    MEASURE_JS,
                    {"url": url, "seconds": seconds, "warmup": WARMUP_S, "minFrames": MIN_FRAMES},
                )
            )
        finally:
            browser.close()


def figures(
    samples: list[list[float]], unreadable: int, start: float, seconds: float
) -> dict[str, Any]:
    """p50/p95 of the latencies (s) of the frames displayed from ``start`` (epoch ms: the end
    of the warm-up) on."""
    kept = [lat / 1000 for shown, lat in samples if shown >= start]
    stats = summarize(kept)
    frames = stats.pop("passes")
    return {
        "mode": "latency",
        "cameras": 1,
        "cpu_model": cpu_model(),
        "cpu_count": psutil.cpu_count() or 1,
        "source": f"live {WIDTH}x{HEIGHT} {FPS} fps H.264 (x264 zerolatency, keyframe every 1 s)",
        "frames": frames,
        "unreadable_frames": unreadable,
        "warmup_s": WARMUP_S,
        # the first frame read: the player joins at the last keyframe, then catches up
        "first_frame_s": round(samples[0][1] / 1000, 3) if samples else None,
        "seconds": seconds,
        **stats,
        "min_s": round(min(kept), 3) if kept else None,
        "target_s": TARGET_S,
        "under_target": bool(kept) and stats["p95_s"] < TARGET_S,
    }


def latency(args: argparse.Namespace, tmp: Path, port: int) -> dict[str, Any]:
    if args.url or args.video:
        raise InvalidInputError("--mode latency uses its own stamped camera: no --url or --video")
    with (
        stamp_camera(port) as url,
        console(url, tmp, getattr(args, "config", None)) as (base, token, app),
    ):
        page = watch(base, token, args.seconds)
        hub = getattr(app.state, "live_hub", None)
        via = sorted({str(m.stats.via) for m in hub.muxers()}) if hub is not None else []
    result = figures(
        page.get("samples", []),
        int(page.get("unreadable", 0)),
        float(page.get("start") or 0.0),
        args.seconds,
    )
    return {**result, "live_via": via}  # worker: the camera worker's feed; camera: the server's
