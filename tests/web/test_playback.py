"""Playback of recorded video in real Chromium: a looping file camera records real segments
through the real console; the playback view opens at a moment (audited as a view), plays and
steps across a segment boundary without a stall, and every frame shown is the one recorded at
that time (each frame of the clip carries its index as a stamp the test reads back)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from rtcc.models import AuditEvent
from tests.support.browser import CHROMIUM, login
from tests.support.clips import Clip, frame_index, write_clip
from tests.support.console_server import PASSWORD
from tests.support.video_server import VideoConsole

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 10
SEGMENT_S = 3


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return write_clip(tmp_path_factory.mktemp("pb") / "stamped.mp4", seconds=4, passes=[(1, 3)],
                      fps=FPS)


@pytest.fixture(scope="module")
def console(clip: Clip, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoConsole]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("playback-console")
    server = VideoConsole(root=root, video=root, model_dir=root, cameras=[
        {"id": "yard", "name": "Yard", "url": str(clip.path), "loop": True, "lpr": False,
         "segment_seconds": SEGMENT_S},
    ])
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _segments(console: VideoConsole, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        client.post("/api/auth/login",
                    json={"username": "dave", "password": PASSWORD}).raise_for_status()
        end = time.monotonic() + timeout
        while True:
            segs: list[dict[str, Any]] = client.get("/api/cameras/yard/segments").json()
            if len(segs) >= count:
                return segs
            assert time.monotonic() < end, f"only {len(segs)} segments:\n{console.tail()}"
            time.sleep(1)


def _grab(page: Page) -> tuple[int, float]:
    """(clip frame index, currentTime) of the frame the playback video shows."""
    data = page.eval_on_selector('[data-testid="pb-video"]', """v => {
        const c = document.createElement("canvas");
        c.width = v.videoWidth; c.height = v.videoHeight;
        c.getContext("2d").drawImage(v, 0, 0);
        return [c.toDataURL("image/png"), v.currentTime];
    }""")
    png = base64.b64decode(data[0].split(",", 1)[1])
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return frame_index(image), float(data[1])


def _settled(page: Page) -> None:
    page.wait_for_function("""() => { const v = document.querySelector('[data-testid="pb-video"]');
        return v && v.readyState >= 2 && !v.seeking && v.videoWidth > 0; }""")
    page.wait_for_timeout(300)


def _frames_between(a: int, b: int, period: int) -> int:
    return (b - a) % period


def test_playback_opens_at_a_moment_and_plays_and_steps_across_segments(
    console: VideoConsole, clip: Clip, new_page: Callable[..., Page], screenshots: Path
) -> None:
    segs = _segments(console, 3)
    first, second = segs[0], segs[1]
    boundary = datetime.fromisoformat(second["start_at"])
    assert abs((boundary - datetime.fromisoformat(first["end_at"])).total_seconds()) < 0.15
    moment = boundary - timedelta(seconds=0.5)
    page = new_page()
    login(page, "dave")
    page.goto(f"/#/playback/yard/{moment.isoformat()}")
    page.wait_for_selector('[data-testid="pb-video"]')
    _settled(page)
    index_a, t_a = _grab(page)
    period = round(clip.seconds * FPS)
    # the view was audited
    engine = create_engine(console.db_url)
    try:
        with engine.connect() as conn:
            views = conn.execute(select(AuditEvent.target, AuditEvent.username).where(
                AuditEvent.action == "video.view")).all()
    finally:
        engine.dispose()
    assert ("camera:yard", "dave") in [tuple(v) for v in views]
    # play across the boundary into the second segment: no stall, frames continue in order
    page.click('[data-testid="pb-play"]')
    page.wait_for_function(f"""() => document.querySelector('[data-testid="pb-video"]')
        .currentTime > {t_a + 1.2}""", timeout=10_000)
    page.click('[data-testid="pb-play"]')  # pause
    _settled(page)
    index_b, t_b = _grab(page)
    assert t_b > t_a + 1.0
    expected = round((t_b - t_a) * FPS) % period
    assert abs(_frames_between(index_a, index_b, period) - expected) <= 1, (
        index_a, index_b, t_a, t_b)
    # step back over the boundary frame by frame: each step is exactly one recorded frame
    for _ in range(round((t_b - t_a) * FPS) + 1):
        before, _t = _grab(page)
        page.click('[data-testid="pb-back"]')
        _settled(page)
        after, _t2 = _grab(page)
        assert _frames_between(after, before, period) == 1, (before, after, _t, _t2)
    page.screenshot(path=screenshots / "playback-01.png")
    expect(page.locator('[data-testid="pb-line"] .seg')).not_to_have_count(0)


def test_timeline_shows_coverage_and_gaps(console: VideoConsole) -> None:
    segs = _segments(console, 2)
    start = datetime.fromisoformat(segs[0]["start_at"]) - timedelta(seconds=30)
    end = datetime.fromisoformat(segs[-1]["end_at"])
    with httpx.Client(base_url=console.url, timeout=10) as client:
        client.post("/api/auth/login",
                    json={"username": "dave", "password": PASSWORD}).raise_for_status()
        got = client.get("/api/video/yard/timeline",
                         params={"start": start.isoformat(), "end": end.isoformat()})
        assert got.status_code == 200, got.text
        body = got.json()
        bad = client.get("/api/video/yard/timeline",
                         params={"start": end.isoformat(), "end": start.isoformat()})
        assert bad.status_code == 422 and "end" in bad.text
        hidden = client.get("/api/video/nowhere/timeline")
        assert hidden.status_code == 404
    assert len(body["segments"]) >= 2
    [gap] = body["gaps"]  # the 30 s before recording began; none between the segments
    assert gap["start"].startswith(start.isoformat()[:19])


def test_a_playback_selection_exports_as_evidence(
    console: VideoConsole, new_page: Callable[..., Page], screenshots: Path
) -> None:
    segs = _segments(console, 2)
    moment = datetime.fromisoformat(segs[0]["start_at"]) + timedelta(seconds=1.5)
    page = new_page()
    login(page, "dave")
    page.goto(f"/#/playback/yard/{moment.isoformat()}")
    page.wait_for_selector('[data-testid="pb-video"]')
    _settled(page)
    page.click('[data-testid="pb-export"]')  # nothing selected yet: refused, no dialog
    expect(page.locator("[data-testid=dlg-evidence]")).to_have_count(0)
    page.click('[data-testid="pb-in"]')
    for _ in range(12):  # 1.2 s of recorded video, frame by frame
        page.click('[data-testid="pb-fwd"]')
    _settled(page)
    page.click('[data-testid="pb-out"]')
    expect(page.locator('[data-testid="pb-selection"]')).to_contain_text("selection")
    page.click('[data-testid="pb-export"]')
    dialog = page.locator("[data-testid=dlg-evidence]")
    expect(dialog).to_be_visible()
    assert dialog.locator("select[name=cameras] option:checked").all_inner_texts() == ["Yard"]
    dialog.locator("input[name=case_number]").fill("CASE-2026-0077")
    dialog.locator("input[name=reason]").fill("hit and run seen from the yard")
    dialog.locator("[data-testid=evidence-submit]").click()
    page.wait_for_selector("[data-testid=evidence-download]", timeout=30_000)
    page.screenshot(path=screenshots / "playback-02-export.png")
    with httpx.Client(base_url=console.url, timeout=10) as client:
        client.post("/api/auth/login",
                    json={"username": "dave", "password": PASSWORD}).raise_for_status()
        items = client.get("/api/evidence", params={"case_number": "CASE-2026-0077"}).json()
    [exp] = items["items"]
    assert exp["cameras"] == ["yard"] and exp["status"] == "done"
    start = datetime.fromisoformat(exp["start_at"])
    end = datetime.fromisoformat(exp["end_at"])
    # the dialog's time fields hold whole seconds: the window is the selection to the second
    assert abs((start - moment).total_seconds()) <= 1.5
    assert 0 < (end - start).total_seconds() <= 3
