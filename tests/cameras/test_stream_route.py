"""GET /api/cameras/{id}/stream.mjpeg: the console's live view, served by the real app under
uvicorn and read with a streaming HTTP client (a live frame file stands in for the worker)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from cameras.media import live_frame_path, write_jpeg
from rtcc.db import transaction
from rtcc.models import Camera
from tests.support.serving import serve

STREAM = "/api/cameras/north/stream.mjpeg"


@pytest.fixture
def app_url(api_app: Any) -> Iterator[str]:
    svc = api_app.state.services
    now = svc.clock.now()
    with transaction(svc.sessions) as s:
        s.add(Camera(id="north", name="North gate", created_at=now, updated_at=now,
                     reconnects=0, restarts=0))
    with serve(api_app) as url:
        yield url


def _frame(n: int) -> np.ndarray:
    image = np.full((360, 640, 3), 40, np.uint8)
    cv2.putText(image, f"frame {n}", (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
    return image


class FrameWriter:
    """Rewrites the camera's live frame every ``interval`` seconds, like a worker does."""

    def __init__(self, path: Path, interval: float) -> None:
        self.path, self.interval = path, interval
        self.stop = threading.Event()
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            self.written += 1
            write_jpeg(self.path, _frame(self.written))
            self.stop.wait(self.interval)

    def __enter__(self) -> FrameWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


def _parts(url: str, headers: dict[str, str], seconds: float,
           fps: float | None = None) -> tuple[httpx.Response, list[bytes]]:
    """JPEG parts received within ``seconds`` (then the client hangs up)."""
    params = {"fps": fps} if fps is not None else None
    buf = b""
    with httpx.stream("GET", url + STREAM, headers=headers, params=params,
                      timeout=httpx.Timeout(5.0, read=seconds)) as resp:
        if resp.status_code != 200:
            resp.read()
            return resp, []
        end = time.monotonic() + seconds
        with contextlib.suppress(httpx.ReadTimeout):  # nothing new to send: the window ends
            for chunk in resp.iter_raw():
                buf += chunk
                if time.monotonic() > end or len(buf) > 5_000_000:
                    break
    return resp, _split(buf, resp.headers["content-type"])


def _split(body: bytes, content_type: str) -> list[bytes]:
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts = []
    for raw in body.split(b"--" + boundary)[1:]:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            continue
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        if len(rest) >= length:  # the last part may be cut off by the hang-up
            assert b"content-type: image/jpeg" in head.lower()
            parts.append(rest[:length])
    return parts


def test_live_stream_yields_jpeg_parts_at_a_bounded_rate(api_client: Any, api_app: Any,
                                                          app_url: str) -> None:
    headers = dict(api_client("detective", bearer=True).headers)
    path = live_frame_path(api_app.state.services.settings.data_dir, "north")
    with FrameWriter(path, interval=0.05):
        resp, parts = _parts(app_url, headers, seconds=2.2, fps=2)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("multipart/x-mixed-replace")
    assert resp.headers["cache-control"] == "no-store"
    # new frames every 50 ms, but at most 2 parts a second reach the client
    assert 2 <= len(parts) <= 6, len(parts)
    images = [cv2.imdecode(np.frombuffer(p, np.uint8), cv2.IMREAD_COLOR) for p in parts]
    assert all(img is not None and img.shape == (360, 640, 3) for img in images)
    assert len({p for p in parts}) == len(parts)  # each part is a newer frame


def test_unchanged_frame_is_sent_once(api_client: Any, api_app: Any, app_url: str) -> None:
    headers = dict(api_client("detective", bearer=True).headers)
    path = live_frame_path(api_app.state.services.settings.data_dir, "north")
    write_jpeg(path, _frame(1))
    resp, parts = _parts(app_url, headers, seconds=1.5, fps=5)
    assert resp.status_code == 200 and len(parts) == 1


@pytest.mark.parametrize("role", ["officer", "auditor"])
def test_roles_without_video_live_are_refused(api_client: Any, app_url: str,
                                              role: str) -> None:
    headers = dict(api_client(role, bearer=True).headers)
    resp, _ = _parts(app_url, headers, seconds=1)
    assert resp.status_code == 403


def test_bad_requests(api_client: Any, app_url: str) -> None:
    headers = dict(api_client("detective", bearer=True).headers)
    resp, _ = _parts(app_url, headers, seconds=1, fps=30)
    assert resp.status_code == 422  # the frame rate is capped at 5
    anonymous, _ = _parts(app_url, {}, seconds=1)
    assert anonymous.status_code == 401
    missing = httpx.get(app_url + "/api/cameras/nope/stream.mjpeg", headers=headers, timeout=5)
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
