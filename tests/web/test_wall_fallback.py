"""A browser without Media Source Extensions in real Chromium (``MediaSource`` deleted before the
console's scripts load): a live tile falls back to refreshed JPEG snapshots, shown in an
``<img>`` whose picture moves on (every frame of the looping clip carries its index as a stamp
the test reads back), and playback says it cannot play recorded video. The camera runs plate
recognition (the real models, skipped without ../shared): only a decoded camera has snapshots."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.support.browser import CHROMIUM, login
from tests.support.clips import Clip, frame_index, write_clip
from tests.support.paths import shared_path
from tests.support.video_server import VideoConsole

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NO_MSE = "delete window.MediaSource; delete window.ManagedMediaSource;"
TILE = '[data-camera="gate"]'


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoConsole]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    models = shared_path("models")
    root = tmp_path_factory.mktemp("wall-fallback")
    clip: Clip = write_clip(root / "stamped.mp4", seconds=4, passes=[], fps=10)
    server = VideoConsole(root=root, video=root, model_dir=models, cameras=[
        {"id": "gate", "name": "Gate", "url": str(clip.path), "loop": True, "lpr": True,
         "record": False, "detect_fps": 2},
    ])
    server.prepare()
    cfg = yaml.safe_load(server.config.read_text(encoding="utf-8"))
    cfg["lpr"] = {"model_dir": str(models)}
    server.config.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _shown(page: Page) -> int | None:
    """The clip frame index the tile's image shows, or None while it has no picture."""
    url = page.eval_on_selector(f"{TILE} img", """i => {
        if (!i.complete || !i.naturalWidth) return null;
        const c = document.createElement("canvas");
        c.width = i.naturalWidth; c.height = i.naturalHeight;
        c.getContext("2d").drawImage(i, 0, 0);
        return c.toDataURL("image/png"); }""")
    if url is None:
        return None
    image = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8),
                         cv2.IMREAD_COLOR)
    assert image is not None
    return frame_index(image)


def test_without_mse_a_live_tile_shows_refreshed_snapshots(
    console: VideoConsole, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.add_init_script(NO_MSE)
    login(page, "dave")
    assert page.evaluate("() => typeof MediaSource") == "undefined"
    page.goto("/#/wall")
    expect(page.locator(f"{TILE} img")).to_be_visible(timeout=30_000)
    expect(page.locator(f"{TILE} video")).to_be_hidden()
    assert page.eval_on_selector(TILE, "t => t.dataset.video ?? null") is None  # no MSE player
    seen: list[int] = []
    end = time.monotonic() + 30
    while len(set(seen)) < 3:
        assert time.monotonic() < end, f"the snapshot never moved on: {seen}"
        index = _shown(page)
        if index is not None and (not seen or index != seen[-1]):
            seen.append(index)
        page.wait_for_timeout(250)
    size = page.eval_on_selector(f"{TILE} img", "i => [i.naturalWidth, i.naturalHeight]")
    assert size == [640, 360]
    page.goto("/#/playback/gate")
    expect(page.locator(".empty")).to_contain_text("cannot play recorded video")
