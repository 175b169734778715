"""The console in a real browser against the real server, camera, models and database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select

from rtcc.models import AuditEvent, Hit
from tests.web.conftest import login
from tests.web.server import ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HIT_WAIT_MS = 120_000  # the camera must start, read the clip and match LS15EBC


def db_rows(console: ConsoleServer, stmt):  # type: ignore[no-untyped-def]
    engine = create_engine(console.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).all()
    finally:
        engine.dispose()


def test_officer_sees_hit_banner_live_and_confirms_it(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "olivia")
    page.screenshot(path=screenshots / "01-hits-waiting.png")
    banner = page.locator("[data-testid=hit-banner]")
    expect(banner.locator("[data-testid=banner-plate]")).to_have_text("LS15EBC", timeout=HIT_WAIT_MS)
    expect(banner).to_contain_text("HIGH")  # priority in words, not only colour
    page.screenshot(path=screenshots / "02-hit-banner.png")

    banner.get_by_role("button", name="Open hit").click()
    detail = page.locator("[data-testid=hit-detail]")
    expect(detail).to_contain_text("LS15EBC")
    expect(detail.locator("[data-testid=entry-case]")).to_have_text("CASE-2026-0042")
    page.screenshot(path=screenshots / "03-hit-detail.png")

    page.keyboard.press("c")  # keyboard: confirm
    dialog = page.locator("[data-testid=dlg-confirm]")
    expect(dialog).to_be_visible()
    dialog.locator("[data-testid=dlg-submit]").click()
    expect(detail.locator("[data-testid=hit-status]")).to_contain_text("CONFIRMED", timeout=10_000)
    expect(detail.locator("[data-testid=hit-status]")).to_contain_text("olivia")
    page.screenshot(path=screenshots / "04-hit-confirmed.png")

    rows = db_rows(console, select(Hit.status, Hit.status_by).where(Hit.plate == "LS15EBC"))
    assert ("confirmed", "olivia") in [tuple(r) for r in rows]
