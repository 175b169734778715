"""Live video in real Chromium from a real console and real RTSP servers: H.264 reaches the
browser as fragmented MP4 by stream copy (Media Source Extensions), a tile plays the substream
and the enlarged tile the main stream, all viewers share one demux, nothing is decoded on the
server, an offline tile keeps its last frame with the time and state, and layouts persist."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import CHROMIUM, login
from tests.support.console_server import PASSWORD
from tests.support.rtsp import RtspServer
from tests.support.video_server import VideoConsole, scaled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUB_WIDTH = 320
QUICK = {"read_timeout_s": 3, "connect_timeout_s": 3, "reconnect_max_s": 2}


@pytest.fixture(scope="module")
def servers(rtsp_clip: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[RtspServer, RtspServer]]:
    sub = scaled(rtsp_clip, tmp_path_factory.mktemp("sub") / "sub.mp4", SUB_WIDTH)
    pair = (RtspServer(rtsp_clip, count_clients=True), RtspServer(sub))
    for s in pair:
        s.start()
    yield pair
    for s in pair:
        s.kill()


@pytest.fixture(scope="module")
def console(servers: tuple[RtspServer, RtspServer],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoConsole]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    main, sub = servers
    root = tmp_path_factory.mktemp("video-console")
    server = VideoConsole(root=root, video=root, model_dir=root, cameras=[
        {"id": "street", "name": "Street", "url": main.url(), "detect_url": sub.url(),
         "lpr": False, "segment_seconds": 4, **QUICK},
    ])
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _size(page: Page, selector: str) -> tuple[int, int]:
    return page.eval_on_selector(selector, "v => [v.videoWidth, v.videoHeight]")  # type: ignore[no-any-return]


def _wait_playing(page: Page, selector: str, timeout: float = 30) -> dict[str, float]:
    """Wait until the video has decoded frames and its currentTime advances."""
    script = """v => ({t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames,
                       w: v.videoWidth, h: v.videoHeight,
                       edge: v.buffered.length ? v.buffered.end(v.buffered.length - 1) : 0})"""
    page.wait_for_selector(selector)
    end = time.monotonic() + timeout
    first = page.eval_on_selector(selector, script)
    while time.monotonic() < end:
        page.wait_for_timeout(500)
        now = page.eval_on_selector(selector, script)
        if now["frames"] > 5 and now["t"] > first["t"] + 0.5 and now["w"] > 0:
            return now  # type: ignore[no-any-return]
    pytest.fail(f"video never played: {first} → {page.eval_on_selector(selector, script)}")


@contextmanager
def api_client(console: VideoConsole, user: str = "ada") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        login = client.post("/api/auth/login", json={"username": user, "password": PASSWORD})
        login.raise_for_status()
        yield client


def test_a_live_tile_plays_the_substream_and_the_enlarged_tile_the_main_stream(
    console: VideoConsole, new_page: Callable[..., Page], screenshots: Path,
    rtsp_clip: Path, servers: tuple[RtspServer, RtspServer],
) -> None:
    page = new_page()
    assert page.evaluate("""() => MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"')""")
    login(page, "dave")
    page.goto("/#/wall")
    tile = '[data-camera="street"] video'
    page.wait_for_selector(tile)
    state = _wait_playing(page, tile)
    assert state["w"] == SUB_WIDTH
    assert state["edge"] - state["t"] < 1.5  # played near the live edge
    page.screenshot(path=screenshots / "live-01-wall.png")
    page.click('[data-camera="street"]')
    expect(page.locator('[data-camera="street"]')).to_have_attribute("data-stream", "main")
    end = time.monotonic() + 30
    while _size(page, tile)[0] <= SUB_WIDTH:
        assert time.monotonic() < end, "the enlarged tile never switched to the main stream"
        page.wait_for_timeout(300)
    main_w = _size(page, tile)[0]
    assert main_w > SUB_WIDTH
    _wait_playing(page, tile)
    page.screenshot(path=screenshots / "live-02-enlarged.png")
    # The main stream comes from the recording worker's connection: the camera has one session.
    with api_client(console) as client:
        end = time.monotonic() + 20
        while True:
            muxers = client.get("/api/video/live").json()
            via = [m["via"] for m in muxers if m["camera_id"] == "street" and m["stream"] == "main"]
            if via == ["worker"] and servers[0].clients == 1:
                break
            assert time.monotonic() < end, f"main stream via {via}, {servers[0].clients} sessions"
            time.sleep(0.5)


def test_viewers_share_one_demux_and_nothing_is_decoded(
    console: VideoConsole, new_page: Callable[..., Page]
) -> None:
    pages = [new_page(), new_page()]
    for p in pages:
        login(p, "dave")
        p.goto("/#/wall")
        _wait_playing(p, '[data-camera="street"] video')
    with api_client(console) as client:
        muxers = client.get("/api/video/live").json()
    detect = [m for m in muxers if m["camera_id"] == "street" and m["stream"] == "detect"]
    assert len(detect) == 1 and detect[0]["viewers"] >= 2
    assert detect[0]["frames_decoded"] == 0 and detect[0]["fragments"] > 10


def test_layouts_are_saved_per_user_and_an_offline_tile_keeps_its_last_frame(
    console: VideoConsole, new_page: Callable[..., Page], servers: tuple[RtspServer, RtspServer],
    screenshots: Path,
) -> None:
    page = new_page()
    login(page, "dave")
    page.goto("/#/wall")
    page.click('[data-layout="3"]')
    expect(page.locator('[data-testid="wall"]')).to_have_attribute("data-layout", "3x3")
    page.reload()
    page.wait_for_selector('#app:not([hidden])')
    page.goto("/#/wall")
    expect(page.locator('[data-testid="wall"]')).to_have_attribute("data-layout", "3x3")
    tile = '[data-camera="street"] video'
    _wait_playing(page, tile)
    main, sub = servers
    main.kill()
    sub.kill()
    try:
        offline = page.locator('[data-camera="street"] [data-testid="tile-offline"]')
        expect(offline).to_contain_text("OFFLINE", timeout=30_000)
        expect(offline).to_contain_text("last frame")
        assert _size(page, tile)[0] == SUB_WIDTH  # the picture is still there
        page.screenshot(path=screenshots / "live-03-offline.png")
    finally:
        main.start()
        sub.start()
