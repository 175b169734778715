"""The hit console in real Chromium against the real app: a confirmation that means something
(never pre-ticked, only after the crop and the entry are on screen, keyboard too), one alert
per car naming every list, a sound that repeats until acknowledged, and a handled hit leaving
every console's banner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from cameras.media import read_media_paths
from cameras.messages import ReadMessage
from hotlist.sightings import file_sha256
from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.db import transaction
from rtcc.models import AuditEvent, Hit
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.services import Services
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, login
from tests.support.hotlists import import_csv, read_message
from tests.support.serving import serve

PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.browser]


@pytest.fixture
def services(sqlite_services: Services) -> Services:
    return sqlite_services


@pytest.fixture
def console_url(services: Services) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from web.app import create_app

    with transaction(services.sessions) as s:
        for name in ("olivia", "oscar"):
            create_user(s, username=name, roles=["officer"], password=PASSWORD,
                        now=services.clock.now(), actor=SYSTEM, min_password_length=12)
    with serve(create_app(services)) as url:
        yield url


@pytest.fixture
def browser(console_url: str) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser: Browser, console_url: str) -> Callable[[], Page]:
    def make() -> Page:
        page = browser.new_context(base_url=console_url,
                                   viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(15_000)
        return page

    return make


def live_read(services: Services, plate: str, track: str) -> ReadMessage:
    """A worker's final read with a real snapshot and crop on disk."""
    msg = read_message(services, plate, track=track)
    snap, crop = read_media_paths(msg.camera_id, track, msg.record.first_seen)
    for rel, size in ((snap, (360, 640)), (crop, (40, 120))):
        image = np.full((*size, 3), 200, np.uint8)
        cv2.putText(image, plate, (4, size[0] - 10), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
        path = services.settings.data_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cv2.imencode(".jpg", image)[1].tobytes())
    return dataclasses.replace(msg, snapshot_path=snap, crop_path=crop)


def beeps(page: Page) -> int:
    return int(page.evaluate("document.documentElement.dataset.alertBeeps || '0'"))


def test_confirm_needs_the_visual_check_ticked_after_the_crop_and_entry_show(
    services: Services, new_page: Callable[[], Page], console_url: str
) -> None:
    import_csv(services, "stolen", "plate,reason,case_number\nABC1234,stolen,K-42\n")
    Ingestor(services).handle(live_read(services, "ABC1234", "t1"))
    with services.sessions() as s:
        hit = s.scalars(select(Hit)).one()
    page = new_page()
    login(page, "olivia", PASSWORD)
    page.goto(f"{console_url}/#/hits/{hit.id}")
    expect(page.locator("[data-testid=hit-detail]")).to_contain_text("ABC1234")
    page.keyboard.press("c")  # keyboard path
    dialog = page.locator("[data-testid=dlg-confirm]")
    check = dialog.locator("[data-testid=visual-check]")
    submit = dialog.locator("[data-testid=dlg-submit]")
    expect(dialog).to_be_visible()
    expect(check).not_to_be_checked()
    expect(submit).to_be_disabled()
    expect(dialog.locator("[data-testid=confirm-entry]")).to_contain_text("K-42")
    expect(check).to_be_enabled()  # once the crop has loaded
    assert page.evaluate(
        "document.querySelector('[data-testid=confirm-crop]').naturalWidth") == 120
    expect(check).to_be_focused()  # focus starts on the check, never on Confirm
    page.keyboard.press("Control+Enter")  # refused: not ticked
    expect(dialog).to_be_visible()
    page.keyboard.press("Space")
    expect(check).to_be_checked()
    page.keyboard.press("Control+Enter")
    status = page.locator("[data-testid=hit-detail] [data-testid=hit-status]")
    expect(status).to_contain_text("CONFIRMED by olivia")
    with services.sessions() as s:
        confirmed = s.get_one(Hit, hit.id)
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "hit.confirm"))
    assert confirmed.visually_confirmed and event.username == "olivia"
    assert event.details is not None
    assert event.details["evidence"]["crop"]["sha256"] == file_sha256(
        services.settings.data_dir, confirmed.crop_path)


def test_one_car_on_two_lists_is_one_alert_that_repeats_until_handled(
    services: Services, new_page: Callable[[], Page], console_url: str
) -> None:
    for name, prio in (("stolen", 90), ("bolo", 85)):
        import_csv(services, name, "plate\nABC1234\n", list_fields={"priority": prio})
    pages = [new_page(), new_page()]
    for page, who in zip(pages, ("olivia", "oscar"), strict=True):
        login(page, who, PASSWORD)
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    Ingestor(services).handle(live_read(services, "ABC1234", "t1"))
    for page in pages:
        banner = page.locator("[data-testid=hit-banner]")
        expect(banner.locator("[data-testid=banner-plate]")).to_have_text("ABC1234")
        expect(banner.locator("[data-testid=banner-lists]")).to_contain_text("2 lists")
        expect(banner.locator("[data-testid=banner-lists]")).to_contain_text("stolen")
        expect(banner.locator("[data-testid=banner-lists]")).to_contain_text("bolo")
        expect(banner).not_to_contain_text("more")  # one banner, not one per list
    first = beeps(pages[1])
    for _ in range(60):  # the high-priority sound repeats (every few seconds)
        if beeps(pages[1]) > first:
            break
        pages[1].wait_for_timeout(200)
    assert beeps(pages[1]) > first
    api: Any = pages[0].request
    csrf = pages[0].evaluate("fetch('/api/auth/me').then(r => r.json()).then(m => m.csrf_token)")
    with services.sessions() as s:
        ids = list(s.scalars(select(Hit.id)))
    for hit_id in ids:  # olivia acknowledges both; oscar's console clears too
        resp = api.post(f"/api/hits/{hit_id}/acknowledge", headers={"X-CSRF-Token": csrf})
        assert resp.status == 200, resp.text()
    expect(pages[1].locator("[data-testid=hit-banner]")).to_be_hidden()
    stopped = beeps(pages[1])
    pages[1].wait_for_timeout(6_000)
    assert beeps(pages[1]) == stopped  # no more sound once acknowledged


def test_a_configured_list_is_marked_read_only_in_the_console(
    services: Services, new_page: Callable[[], Page], console_url: str
) -> None:
    from hotlist.importer import parse_text
    from hotlist.service import replace_list

    with transaction(services.sessions) as s:
        create_user(s, username="sam", roles=["supervisor"], password=PASSWORD,
                    now=services.clock.now(), actor=SYSTEM, min_password_length=12)
        replace_list(s, name="stolen", now=services.clock.now(), managed_file="/etc/rtcc/st.csv",
                     entries=parse_text("plate\nABC1234\n", format="csv").entries)
    page = new_page()
    login(page, "sam", PASSWORD)
    page.goto(f"{console_url}/#/hotlists")
    row = page.locator("tr[data-list=stolen]")
    expect(row.locator("[data-testid=managed-file]")).to_have_text(
        "managed by file /etc/rtcc/st.csv")
    row.click()
    expect(page.locator("[data-testid=managed-note]")).to_contain_text("/etc/rtcc/st.csv")
    expect(page.locator("[data-testid=entries-table] tr[data-plate=ABC1234]")).to_be_visible()
    expect(page.get_by_role("button", name="Add entry")).to_have_count(0)
    expect(page.get_by_role("button", name="Expire")).to_have_count(0)


def test_a_burst_of_reads_in_batched_frames_all_reach_the_feed(
    services: Services, new_page: Callable[[], Page]
) -> None:
    """The console asks for batched frames (``/ws/events?batch=1``): a burst of reads comes as
    JSON arrays, and every read in them is shown, in order, newest first."""
    from datetime import UTC, datetime

    from rtcc.events import ReadEvent
    from rtcc.vocab import ReadStatus

    with transaction(services.sessions) as s:
        create_user(s, username="sam", roles=["supervisor"], password=PASSWORD,
                    now=services.clock.now(), actor=SYSTEM, min_password_length=12)
    page = new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    login(page, "sam", PASSWORD)
    page.goto("/#/reads")
    expect(page.locator("[data-testid=reads-feed]")).to_contain_text("Waiting for reads")
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for n in range(40):  # one thread, no pause: the hub finds them waiting together
        services.bus.publish(ReadEvent(
            id=1000 + n, camera_id="cam-1", plate=f"BURST{n:02d}", confidence=0.9,
            status=ReadStatus.FINAL, region=None, frames=3, observed_at=at, last_seen_at=at,
            snapshot_url=None, crop_url=None,
        ))
    feed = page.locator("[data-testid=reads-feed] li[data-plate]")
    expect(feed).to_have_count(40)
    assert feed.evaluate_all("els => els.map(e => e.dataset.plate)") == [
        f"BURST{n:02d}" for n in reversed(range(40))
    ]
    assert any(f.startswith("[") for f in frames), "no burst came as one frame"
