"""The playback controls in real Chromium on real recordings: four looping file cameras record
the same stamped clip (each started at its own moment, so each shows other frames at the same
time); reads and a hit are stored on the first camera. Tested by what the videos show (every
frame carries its clip index): the read and hit markers sit at their times and seek there,
clicking the timeline bar seeks to the clicked place, 2× and 8× play media time 2 and 8 times
as fast as wall time, four cameras play/pause/seek/step together, "▶ Video" on a live read and
on a search result opens playback at the read (audited as ``video.view``), and the wall goes
full screen."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from rtcc.models import AuditEvent, Hit, Hotlist, HotlistEntry, PlateRead
from tests.support.browser import CHROMIUM, login
from tests.support.clips import Clip, frame_index, write_clip
from tests.support.console_server import PASSWORD
from tests.support.video_server import VideoConsole

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FPS = 10
PERIOD = 40  # frames in the looping clip
SEGMENT_S = 3
CAMERAS = ("cam1", "cam2", "cam3", "cam4")
AROUND_S = 600.0  # playback.js opens a window of 10 minutes either side of the moment
SYNC_S = 0.25  # playback.js re-syncs a follower further off than this


@dataclass(frozen=True)
class World:
    segments: list[dict[str, Any]]  # cam1's first segments
    read_at: datetime  # a read on cam1, shown in the live reads view
    read_id: int
    found_at: datetime  # another read on cam1, found by a search
    found_id: int
    hit_at: datetime  # a hit on cam1
    hit_id: int


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return write_clip(tmp_path_factory.mktemp("pbc") / "stamped.mp4", seconds=PERIOD / FPS,
                      passes=[], fps=FPS)


@pytest.fixture(scope="module")
def console(clip: Clip, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VideoConsole]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("playback-controls")
    server = VideoConsole(root=root, video=root, model_dir=root, cameras=[
        {"id": cam, "name": cam.title(), "url": str(clip.path), "loop": True, "lpr": False,
         "segment_seconds": SEGMENT_S} for cam in CAMERAS
    ])
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _segments(console: VideoConsole, camera: str, count: int,
              timeout: float = 90) -> list[dict[str, Any]]:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        client.post("/api/auth/login",
                    json={"username": "dave", "password": PASSWORD}).raise_for_status()
        end = time.monotonic() + timeout
        while True:
            segs: list[dict[str, Any]] = client.get(f"/api/cameras/{camera}/segments").json()
            if len(segs) >= count:
                return sorted(segs, key=lambda s: s["start_at"])
            assert time.monotonic() < end, f"{camera}: {len(segs)} segments:\n{console.tail()}"
            time.sleep(1)


def _add_read(session: Session, camera: str, plate: str, at: datetime) -> PlateRead:
    read = PlateRead(camera_id=camera, track_key=f"t-{plate}", plate=plate, confidence=0.95,
                     char_confidences=[0.95] * len(plate), observed_at=at,
                     last_seen_at=at + timedelta(seconds=1), created_at=at, updated_at=at)
    session.add(read)
    session.flush()
    return read


@pytest.fixture(scope="module")
def world(console: VideoConsole) -> World:
    """Reads and a hit stored inside cam1's recorded video (every camera has recorded 6
    segments: the speed test plays 8 s of video)."""
    for cam in CAMERAS[1:]:
        _segments(console, cam, 6)
    segs = _segments(console, "cam1", 6)
    t0 = datetime.fromisoformat(segs[1]["start_at"])
    engine = create_engine(console.db_url)
    try:
        with Session(engine) as s, s.begin():
            read = _add_read(s, "cam1", "RD11AAA", t0 + timedelta(seconds=1.05))
            found = _add_read(s, "cam1", "FN22BBB", t0 + timedelta(seconds=4.35))
            flagged = _add_read(s, "cam1", "HT33CCC", t0 + timedelta(seconds=7.25))
            _add_read(s, "cam2", "OT44DDD", t0 + timedelta(seconds=3))  # not on cam1's line
            hotlist = Hotlist(name="stolen", kind="stolen_vehicle", priority=90,
                              created_at=t0, updated_at=t0)
            s.add(hotlist)
            s.flush()
            entry = HotlistEntry(hotlist_id=hotlist.id, plate=flagged.plate,
                                 reason="stolen vehicle", case_number="CASE-2026-0077",
                                 added_at=t0)
            s.add(entry)
            s.flush()
            hit = Hit(read_id=flagged.id, entry_id=entry.id, hotlist_id=hotlist.id,
                      camera_id="cam1", plate=flagged.plate, entry_plate=flagged.plate,
                      hotlist_name="stolen", reason="stolen vehicle", priority=90,
                      status="new", observed_at=flagged.observed_at,
                      last_seen_at=flagged.last_seen_at, created_at=flagged.observed_at,
                      updated_at=flagged.observed_at)
            s.add(hit)
            s.flush()
            out = World(segs, read.observed_at, read.id, found.observed_at, found.id,
                        hit.observed_at, hit.id)
    finally:
        engine.dispose()
    return out


# --- what the page shows ------------------------------------------------------------------


def _open(page: Page, camera: str, at: datetime) -> None:
    page.goto(f"/#/playback/{camera}/{at.isoformat()}")
    page.wait_for_selector('[data-testid="pb-video"]')
    _settled(page, 1)


def _settled(page: Page, count: int) -> None:
    """``count`` playback videos have a picture at their position and are not seeking."""
    page.wait_for_function("""n => {
        const vs = [...document.querySelectorAll('[data-testid="pb-video"]')];
        return vs.length === n
            && vs.every((v) => v.readyState >= 2 && !v.seeking && v.videoWidth > 0); }""",
                           arg=count, timeout=20_000)
    page.wait_for_timeout(300)  # the seeked frame reaches the element


def _grab_all(page: Page) -> dict[str, tuple[int, float, bool]]:
    """Per camera: (clip frame index shown, currentTime, paused)."""
    data = page.eval_on_selector_all('[data-testid="pb-video"]', """vs => vs.map((v) => {
        const c = document.createElement("canvas");
        c.width = v.videoWidth; c.height = v.videoHeight;
        c.getContext("2d").drawImage(v, 0, 0);
        return [v.dataset.camera, c.toDataURL("image/png"), v.currentTime, v.paused]; })""")
    out = {}
    for cam, url, t, paused in data:
        png = base64.b64decode(url.split(",", 1)[1])
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        out[cam] = (frame_index(image), float(t), bool(paused))
    return out


def _master_time(page: Page) -> float:
    return float(page.eval_on_selector('[data-testid="pb-video"]', "v => v.currentTime"))


def _off(a: int, b: int) -> int:
    """Frames from b to a on the looping clip, in (-PERIOD/2, PERIOD/2]."""
    return (a - b + PERIOD // 2) % PERIOD - PERIOD // 2


def _phase(index: int, t: float) -> int:
    """The clip frame a camera would show at timeline time 0 (calibration of one camera)."""
    return (index - round(t * FPS)) % PERIOD


def _expected(phase: int, t: float) -> int:
    return (phase + round(t * FPS)) % PERIOD


def _line(camera: str) -> str:
    return f'[data-testid="pb-line"][data-camera="{camera}"]'


def _left_pct(page: Page, selector: str) -> float:
    style = page.eval_on_selector(selector, "m => m.style.left")
    assert style.endswith("%"), style
    return float(style[:-1])


def _audited(console: VideoConsole, read_id: int) -> list[tuple[Any, ...]]:
    engine = create_engine(console.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(AuditEvent.username, AuditEvent.target,
                                       AuditEvent.details).where(
                AuditEvent.action == "video.view")).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows if (r.details or {}).get("read_id") == read_id]


# --- tests ----------------------------------------------------------------------------------


def test_markers_sit_at_the_reads_and_hits_and_scrubbing_seeks_to_the_clicked_place(
    console: VideoConsole, world: World, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "dave")
    moment = world.read_at
    _open(page, "cam1", moment)
    start = moment - timedelta(seconds=AROUND_S)
    line = _line("cam1")
    expect(page.locator(f"{line} .mark")).to_have_count(4)  # 3 reads and 1 hit, not cam2's
    expect(page.locator(f'{line} .mark[data-kind="hit"]')).to_have_count(1)
    # opened at the read: the view is 10 minutes after the window's start
    [(index0, t0, _p)] = _grab_all(page).values()
    assert abs(t0 - AROUND_S) < 1.5 / FPS, t0
    phase = _phase(index0, t0)
    # every marker's place on the bar is its time in the window: one span fits all of them
    marks = [(f'{line} .mark[data-kind="{kind}"][title^="{kind} {mark_id} at"]', at)
             for kind, mark_id, at in (("read", world.read_id, world.read_at),
                                       ("read", world.found_id, world.found_at),
                                       ("hit", world.hit_id, world.hit_at))]
    spans = [(at - start).total_seconds() * 100 / _left_pct(page, mark) for mark, at in marks]
    span = spans[0]
    assert AROUND_S <= span <= 2 * AROUND_S + 60, spans
    assert max(spans) - min(spans) < 0.5, spans  # within half a second over 10+ minutes
    for mark, at in marks:
        # a click on a marker seeks to its moment: the frame recorded then is shown, and the
        # play head stands on the marker
        page.click(mark)
        want = (at - start).total_seconds()
        page.wait_for_function("""t => Math.abs(document.querySelector('[data-testid="pb-video"]')
            .currentTime - t) < 0.15""", arg=want)
        _settled(page, 1)
        [(index, t, _p)] = _grab_all(page).values()
        assert abs(t - want) < 1.5 / FPS, (mark, t, want)
        assert abs(_off(index, _expected(phase, t))) <= 1, (mark, index, phase, t)
        page.wait_for_function("""([cursor, mark, tol]) => Math.abs(
            parseFloat(document.querySelector(cursor).style.left)
            - parseFloat(document.querySelector(mark).style.left)) < tol""",
                               arg=[f"{line} .cursor", mark, 0.2 * 100 / span])
    # scrubbing: a click on the bar between the markers seeks to the clicked place
    box = page.locator(line).bounding_box()
    assert box is not None
    # inside cam1's recording, clear of the markers (a marker click seeks to its own time)
    target = (datetime.fromisoformat(world.segments[4]["start_at"]) - start).total_seconds() + 1.5
    x = round(box["x"] + box["width"] * target / span)
    clicked = (x - box["x"]) / box["width"] * span
    assert abs(clicked - target) < 2 * span / box["width"]
    page.mouse.click(x, box["y"] + box["height"] / 2)
    page.wait_for_function("""t => Math.abs(document.querySelector('[data-testid="pb-video"]')
        .currentTime - t) < 0.2""", arg=clicked)
    _settled(page, 1)
    [(index, t, _p)] = _grab_all(page).values()
    assert abs(t - clicked) < 1.5 / FPS, (t, clicked)
    assert abs(_off(index, _expected(phase, t))) <= 1, (index, phase, t)
    at = datetime.fromisoformat(page.eval_on_selector('[data-testid="pb-clock"]',
                                                      "c => c.dataset.at"))
    assert abs((at - (start + timedelta(seconds=clicked))).total_seconds()) < 0.5
    page.screenshot(path=screenshots / "playback-controls-01-markers.png")


@pytest.mark.parametrize("rate", [2, 8])
def test_speed_plays_media_time_n_times_as_fast_as_wall_time(
    console: VideoConsole, world: World, new_page: Callable[..., Page], rate: int
) -> None:
    page = new_page()
    login(page, "dave")
    _open(page, "cam1", datetime.fromisoformat(world.segments[0]["start_at"])
          + timedelta(seconds=0.5))
    page.select_option('[data-testid="pb-speed"]', str(rate))
    page.click('[data-testid="pb-play"]')
    got = page.evaluate("""async (rate) => {
        const v = document.querySelector('[data-testid="pb-video"]');
        const tick = () => new Promise((r) => setTimeout(r, 50));
        const from = v.currentTime;
        while (v.paused || v.currentTime < from + 0.3) await tick();  // it plays
        const t0 = v.currentTime, w0 = performance.now();
        while (v.currentTime < t0 + 1.5 * rate && performance.now() - w0 < 8000) await tick();
        const wall = (performance.now() - w0) / 1000;
        return { rate: v.playbackRate, media: v.currentTime - t0, wall };
    }""", rate)
    assert got["rate"] == rate
    ratio = got["media"] / got["wall"]
    assert 0.7 * rate <= ratio <= 1.2 * rate, got
    page.click('[data-testid="pb-play"]')


def test_four_cameras_play_pause_seek_and_step_together(
    console: VideoConsole, world: World, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "dave")
    moment = datetime.fromisoformat(world.segments[1]["start_at"]) + timedelta(seconds=0.55)
    _open(page, "cam1", moment)
    for cam in CAMERAS[1:]:
        page.check(f'.pb-pick input[value="{cam}"]')
        page.wait_for_selector(f'[data-testid="pb-video"][data-camera="{cam}"]')
    _settled(page, 4)
    shown = _grab_all(page)
    assert sorted(shown) == sorted(CAMERAS)
    # each camera recorded the clip from its own moment: its own frame phase
    phases = {cam: _phase(i, t) for cam, (i, t, _p) in shown.items()}

    def check(tolerance_s: float, what: str) -> dict[str, tuple[int, float, bool]]:
        now = _grab_all(page)
        _i, tm, paused = now["cam1"]
        for cam, (index, t, p) in now.items():
            assert p == paused, (what, cam, now)
            assert abs(t - tm) <= tolerance_s, (what, cam, now)
            frames = round(tolerance_s * FPS) + 1
            assert abs(_off(index, _expected(phases[cam], tm))) <= frames, (what, cam, now, phases)
        return now

    check(0.05, "opened")  # the added cameras were sought to the first one's time
    # play together
    page.click('[data-testid="pb-play"]')
    before = _master_time(page)
    page.wait_for_function(f"""() => [...document.querySelectorAll('[data-testid="pb-video"]')]
        .every((v) => !v.paused && v.currentTime > {before + 1.5})""", timeout=20_000)
    # pause together: all four stop within the sync tolerance of the first
    page.click('[data-testid="pb-play"]')
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="pb-video"]')]
        .every((v) => v.paused)""")
    _settled(page, 4)
    played = check(SYNC_S + 1.0 / FPS, "paused")
    assert played["cam1"][1] > before + 1.5
    # seek all by clicking the first camera's bar, 4 s back
    box = page.locator(_line("cam1")).bounding_box()
    assert box is not None
    cursor = page.locator(f'{_line("cam1")} .cursor').bounding_box()
    assert cursor is not None
    span = AROUND_S * 2 + 60  # coarse: only to aim the click a few seconds back
    page.mouse.click(round(cursor["x"] - max(2, 4 * box["width"] / span)),
                     box["y"] + box["height"] / 2)
    page.wait_for_function(f"""() => document.querySelector('[data-testid="pb-video"]')
        .currentTime < {played['cam1'][1] - 1}""")
    _settled(page, 4)
    sought = check(0.05, "sought")
    # step forward twice and back once, all together, one frame at a time
    for button, frames in (("pb-fwd", 1), ("pb-fwd", 1), ("pb-back", -1)):
        page.click(f'[data-testid="{button}"]')
        page.wait_for_function(f"""() => Math.abs(document.querySelector('[data-testid="pb-video"]')
            .currentTime - {sought['cam1'][1]}) > 0.03""")
        _settled(page, 4)
        stepped = check(0.05, button)
        assert _off(stepped["cam1"][0], sought["cam1"][0]) == frames, (button, sought, stepped)
        sought = stepped
    page.screenshot(path=screenshots / "playback-controls-02-sync.png")


def _opened_at_read(page: Page, console: VideoConsole, read_id: int, at: datetime) -> None:
    page.wait_for_url(f"**/#/playback/cam1/**/read/{read_id}")
    _settled(page, 1)
    parts = page.url.split("#/playback/", 1)[1].split("/")
    assert [unquote(p) for p in parts[:1] + parts[2:]] == ["cam1", "read", str(read_id)]
    assert datetime.fromisoformat(unquote(parts[1])) == at
    assert abs(_master_time(page) - AROUND_S) < 1.5 / FPS  # the read's moment
    clock = datetime.fromisoformat(page.eval_on_selector('[data-testid="pb-clock"]',
                                                         "c => c.dataset.at"))
    assert abs((clock - at).total_seconds()) < 0.5
    end = time.monotonic() + 10
    while not (rows := _audited(console, read_id)):
        assert time.monotonic() < end, "opening the video was not audited"
        time.sleep(0.3)
    [(user, target, details)] = rows
    assert (user, target) == ("dave", "camera:cam1")
    assert abs(datetime.fromisoformat(details["at"]) - at) < timedelta(milliseconds=1)  # JS ms


def test_video_at_this_moment_from_a_live_read(
    console: VideoConsole, world: World, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, "dave")
    page.goto("/#/reads")
    row = page.locator('[data-testid="reads-feed"] li[data-plate="RD11AAA"]')
    expect(row).to_have_count(1)
    row.locator('[data-testid="video-at"]').click()
    _opened_at_read(page, console, world.read_id, world.read_at)


def test_video_at_this_moment_from_a_search_result(
    console: VideoConsole, world: World, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, "dave")
    page.goto("/#/search")
    form = page.locator("[data-testid=search-form]")
    form.locator("input[name=plate]").fill("FN22*")
    form.locator("select[name=purpose]").select_option("investigation")
    form.locator("input[name=reason]").fill("footage of a suspect car at the yard")
    form.locator("input[name=case_number]").fill("CASE-2026-0078")
    form.locator("[data-testid=search-submit]").click()
    row = page.locator('[data-testid="results-table"] tr[data-plate="FN22BBB"]')
    expect(row).to_have_count(1)
    row.locator('[data-testid="video-at"]').click()
    _opened_at_read(page, console, world.found_id, world.found_at)


def test_the_wall_goes_full_screen_and_back(
    console: VideoConsole, world: World, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, "dave")
    page.goto("/#/wall")
    page.wait_for_selector('[data-camera="cam1"]')
    assert page.evaluate("() => document.fullscreenElement") is None
    page.click('[data-testid="wall-fullscreen"]')
    page.wait_for_function("""() => document.fullscreenElement
        && document.fullscreenElement.dataset.testid === "wall"
        && document.fullscreenElement.querySelectorAll(".tile").length === 4""")
    size = page.evaluate("""() => { const r = document.fullscreenElement.getBoundingClientRect();
        return [r.width, r.height, window.innerWidth, window.innerHeight]; }""")
    assert size[:2] == size[2:], size  # the wall fills the screen
    # the button is outside the full-screen wall (Esc is the browser's): its handler toggles back
    page.eval_on_selector('[data-testid="wall-fullscreen"]', "b => b.click()")
    page.wait_for_function("() => document.fullscreenElement === null")
