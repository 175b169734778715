"""From a hit to its recorded video, in real Chromium with the real models and footage: the
hit's "▶ Video" action opens playback at the hit's moment and the frame shown holds the plate
of the hit's crop (template match on a frame grab). Skipped without ../shared."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import yaml
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from rtcc.models import Hit, VideoSegment
from tests.support.browser import CHROMIUM, login
from tests.support.console_server import ConsoleServer
from tests.support.paths import shared_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    server = ConsoleServer(root=tmp_path_factory.mktemp("hit-playback"),
                           video=shared_path("data/video/theAIGuysCode/license_plate.mp4"),
                           model_dir=shared_path("models"))
    server.prepare()
    cfg = yaml.safe_load(server.config.read_text(encoding="utf-8"))
    cfg["cameras"] = [{**c, "segment_seconds": 4} for c in cfg["cameras"][:1]]
    server.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _first(console: ConsoleServer, stmt: Any, what: str, timeout: float = 150) -> Any:
    engine = create_engine(console.db_url)
    try:
        end = time.monotonic() + timeout
        while True:
            with engine.connect() as conn:
                row = conn.execute(stmt).first()
            if row is not None:
                return row
            assert time.monotonic() < end, f"no {what}:\n{console.tail()}"
            time.sleep(1)
    finally:
        engine.dispose()


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def test_video_at_the_moment_of_a_hit_shows_the_plate(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    hit = _first(console, select(Hit.id, Hit.observed_at).where(Hit.plate == "LS15EBC"), "hit")
    hit_id, observed = int(hit[0]), hit[1]
    _first(console, select(VideoSegment.id).where(VideoSegment.start_at <= observed,
                                                  VideoSegment.end_at > observed),
           "segment covering the hit")
    page = new_page()
    login(page, "dave")
    page.goto(f"/#/hits/{hit_id}")
    page.click('[data-testid="video-at"]')
    page.wait_for_function("""() => { const v = document.querySelector('[data-testid="pb-video"]');
        return v && v.readyState >= 2 && !v.seeking && v.videoWidth > 0; }""", timeout=30_000)
    page.wait_for_timeout(500)
    grab = page.eval_on_selector('[data-testid="pb-video"]', """v => {
        const c = document.createElement("canvas");
        c.width = v.videoWidth; c.height = v.videoHeight;
        c.getContext("2d").drawImage(v, 0, 0);
        return c.toDataURL("image/png"); }""")
    frame = _decode(base64.b64decode(grab.split(",", 1)[1]))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    detail = httpx.get(f"{console.url}/api/hits/{hit_id}", cookies=cookies, timeout=10).json()
    crop = _decode(httpx.get(f"{console.url}{detail['crop_url']}", cookies=cookies,
                             timeout=10).content)
    assert crop.shape[0] < frame.shape[0] and crop.shape[1] < frame.shape[1]
    score = float(cv2.matchTemplate(frame, crop, cv2.TM_CCOEFF_NORMED).max())
    assert score > 0.5, f"the plate is not in the frame played at the hit's moment ({score:.2f})"
