"""The database-unreachable banner in real Chromium against the real app and runtime (issue 14,
"Faults"): the database is taken away (PostgreSQL behind a cut proxy, SQLite write-locked), a
read waits in the spool, every signed-in console shows the alert with what waits, and the banner
goes when the database returns and the spool is stored. Nothing breaks the page's CSP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from rtcc.clock import FakeClock
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from rtcc.runtime.spool import IngestSpool
from tests.support.accounts import TEST_PASSWORD, add_user
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, login
from tests.support.db_outage import Outage, services_with_outage
from tests.support.hotlists import add_camera
from tests.support.reads import CAMERAS, read
from tests.support.serving import serve
from web.app import create_app

pytestmark = [pytest.mark.browser]


@pytest.fixture
def console(
    db_url: str, make_settings: Any, clock: FakeClock
) -> Iterator[tuple[Services, Outage, Runtime, str]]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    with services_with_outage(db_url, make_settings, clock) as (svc, outage):
        for cam in CAMERAS:
            add_camera(svc, cam)
        add_user(svc, "olivia", ["officer"])
        IngestSpool.open(svc.settings.data_dir).close()  # a spool: the runtime drains it
        runtime = Runtime(svc, cameras=False)
        with serve(create_app(svc, runtime)) as url:
            yield svc, outage, runtime, url


def test_the_console_shows_the_outage_and_clears_it(
    console: tuple[Services, Outage, Runtime, str],
) -> None:
    svc, outage, runtime, url = console
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(base_url=url).new_page()
            page.set_default_timeout(30_000)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            login(page, "olivia", TEST_PASSWORD)
            _outage(page, outage, runtime)
        finally:
            browser.close()
    assert not [p for p in problems if "Content Security Policy" in p or "pageerror" in p]


def _outage(page: Page, outage: Outage, runtime: Runtime) -> None:
    banner = page.locator('[data-testid=system-alert][data-kind="database_unreachable"]')
    expect(banner).to_have_count(0)
    assert runtime.ingest is not None
    outage.cut()
    try:
        runtime.ingest.source.put(read(1))
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("The database cannot be reached")
        expect(banner).to_contain_text("1 waiting on the server")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "system-alert-database.png"))
    finally:
        outage.restore()
    expect(banner).to_have_count(0)
    end = time.monotonic() + 30
    while runtime.spooled():
        assert time.monotonic() < end, "the spool was not stored"
        time.sleep(0.05)
