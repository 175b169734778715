"""The console in a real browser against the real server, camera, models and database."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from rtcc.models import AuditEvent, Hit, Hotlist, PlateRead
from tests.support.browser import login
from tests.support.console_server import ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HIT_WAIT_MS = 120_000  # the camera must start, read the clip and match LS15EBC


def db_rows(console: ConsoleServer, stmt: Any) -> list[Any]:
    engine = create_engine(console.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(stmt).all())
    finally:
        engine.dispose()


def wait_for_read(console: ConsoleServer, plate: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db_rows(console, select(PlateRead.id).where(PlateRead.plate == plate)):
            return
        time.sleep(1)
    pytest.fail(f"the camera never read {plate}:\n{console.tail()}")


def test_officer_sees_hit_banner_live_and_confirms_it(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    # Sign in only after the hit exists and keeps being updated by later frames: an officer
    # starting a shift must still be alerted to it (and no event race may swallow the alert).
    deadline = time.monotonic() + HIT_WAIT_MS / 1000
    while not db_rows(console, select(Hit.id).where(Hit.plate == "LS15EBC")):
        assert time.monotonic() < deadline, f"no LS15EBC hit:\n{console.tail()}"
        time.sleep(0.5)
    time.sleep(3)
    page = new_page()
    login(page, "olivia")
    page.screenshot(path=screenshots / "01-hits-waiting.png")
    banner = page.locator("[data-testid=hit-banner]")
    plate = banner.locator("[data-testid=banner-plate]")
    expect(plate).to_have_text("LS15EBC", timeout=HIT_WAIT_MS)
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
    dialog.locator("[data-testid=visual-check]").check()  # never pre-ticked (issue 12)
    dialog.locator("[data-testid=dlg-submit]").click()
    expect(detail.locator("[data-testid=hit-status]")).to_contain_text("CONFIRMED", timeout=10_000)
    expect(detail.locator("[data-testid=hit-status]")).to_contain_text("olivia")
    page.screenshot(path=screenshots / "04-hit-confirmed.png")

    rows = db_rows(console, select(Hit.status, Hit.status_by).where(Hit.plate == "LS15EBC"))
    assert ("confirmed", "olivia") in [tuple(r) for r in rows]


def test_detective_search_needs_purpose_and_is_audited(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    wait_for_read(console, "LS15EBC")
    page = new_page()
    login(page, "dave")
    page.goto("/#/search")
    form = page.locator("[data-testid=search-form]")
    form.locator("input[name=plate]").fill("ls15*")
    form.locator("[data-testid=search-submit]").click()
    error = page.locator("[data-testid=search-error]")
    expect(error).to_contain_text("reason")
    expect(error).to_contain_text("case number")
    expect(page.locator("[data-testid=results-table]")).to_have_count(0)
    stopped = select(AuditEvent.id).where(AuditEvent.action == "reads.search",
                                          AuditEvent.username == "dave")
    assert db_rows(console, stopped) == []  # stopped in the browser: nothing was searched

    expect(error).to_contain_text("purpose")
    form.locator("select[name=purpose]").select_option("investigation")
    form.locator("input[name=reason]").fill("stolen vehicle enquiry, suspect car sighting")
    form.locator("input[name=case_number]").fill("CASE-2026-0042")
    form.locator("[data-testid=search-submit]").click()
    table = page.locator("[data-testid=results-table]")
    expect(table.locator("tr[data-plate=LS15EBC]").first).to_be_visible()
    expect(error).to_be_hidden()
    page.screenshot(path=screenshots / "05-search-results.png")

    rows = db_rows(console, select(AuditEvent.case_number, AuditEvent.details).where(
        AuditEvent.action == "reads.search", AuditEvent.username == "dave"))
    assert rows, "the search is not in the audit log"
    case, details = rows[-1]
    assert case == "CASE-2026-0042"
    assert details["reason"] == "stolen vehicle enquiry, suspect car sighting"
    assert details["purpose"] == "investigation"
    assert details["results"] >= 1

    page.goto("/#/wall")
    live_tile = page.locator(".tile[data-camera=a40-west][data-video=playing] video")
    expect(live_tile).to_have_count(1, timeout=20_000)  # fragmented MP4 through MSE
    expect(page.locator(".tile[data-camera=dock-gate] .tile-offline")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=screenshots / "06-live-wall.png")


def test_auditor_cannot_open_live_wall_or_search(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "audrey")
    nav = page.locator("#nav")
    expect(nav.locator("a[data-view=audit]")).to_be_visible()
    expect(nav.locator("a[data-view=wall]")).to_have_count(0)
    expect(nav.locator("a[data-view=search]")).to_have_count(0)
    for view in ("wall", "search"):
        page.goto(f"/#/{view}")
        expect(page.locator("[data-testid=denied]")).to_contain_text("Not available for your role")
        expect(page.locator("[data-testid=wall], [data-testid=search-form]")).to_have_count(0)
    # The server refuses too, whatever the page shows.
    search = f"{console.url}/api/reads?reason=curiosity+only&case_number=X1"
    assert page.request.get(search).status == 403
    assert page.request.get(f"{console.url}/api/cameras/a40-west/snapshot.jpg").status == 403

    page.goto("/#/audit")
    expect(page.locator("[data-testid=audit-log] tr[data-action]").first).to_be_visible()
    expect(page.locator("[data-testid=compliance]")).to_be_visible()
    page.screenshot(path=screenshots / "07-audit.png", full_page=True)


def test_supervisor_views(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    login(page, "sam")
    page.goto("/#/hotlists")
    expect(page.locator("[data-testid=entries-table] tr[data-plate=LS15EBC]")).to_be_visible()
    upload = page.locator("[data-testid=upload-form]")
    upload.locator("input[name=name]").fill("BOLO week 47")
    bad = b"plate,state,reason,case_number,expires_at,description\nLS15EBC,,bolo,,,\n!!,,x,,,\n"
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "bolo.csv", "mimeType": "text/csv", "buffer": bad}])
    upload.get_by_role("button", name="Upload").click()
    status = page.locator("[data-testid=upload-status]")
    expect(status).to_contain_text("Nothing imported")
    expect(status.locator("[data-testid=line-errors]")).to_contain_text("line 3")
    page.screenshot(path=screenshots / "08-hotlist-upload-errors.png")
    good = b"plate,state,reason,case_number,expires_at,description\nLS15EBC,,bolo,C-47,,\n"
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "bolo.csv", "mimeType": "text/csv", "buffer": good}])
    upload.get_by_role("button", name="Upload").click()
    expect(status).to_contain_text("BOLO week 47: 1 added")
    expect(status).to_contain_text("1 historical hit(s)")  # LS15EBC was read before the upload
    expect(page.locator("tr[data-list='BOLO week 47']")).to_be_visible()
    expect(page.get_by_role("heading", name="BOLO week 47 — entries")).to_be_visible()
    expect(page.locator("[data-testid=entries-table] tr[data-plate=LS15EBC]")).to_be_visible()
    expect(status).to_contain_text("1 historical hit(s)")  # the outcome stays on screen
    expect(page.locator("[data-testid=historical-hits]")).to_contain_text("LS15EBC")
    page.screenshot(path=screenshots / "08-hotlists.png")
    page.goto("/#/cameras")
    expect(page.locator("[data-testid=cameras-table] tr[data-camera=a40-west]")).to_be_visible()
    page.screenshot(path=screenshots / "09-cameras.png")
    page.goto("/#/reads")
    feed = page.locator("[data-testid=reads-feed] li[data-plate]")
    expect(feed.first).to_be_visible(timeout=60_000)
    page.screenshot(path=screenshots / "10-reads.png")


def _insert_hit_while_down(console: ConsoleServer, plate: str) -> None:
    engine = create_engine(console.db_url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session:
            # On the list, as every hit is: a hit on no list is hidden from officers (fail closed).
            stolen = session.scalar(select(Hotlist.id).where(Hotlist.name == "Stolen vehicles"))
            assert stolen is not None
            session.add(Hit(camera_id="a40-west", plate=plate, entry_plate=plate,
                            hotlist_id=stolen, hotlist_name="Stolen vehicles",
                            reason="wanted driver", priority=90,
                            match_type="exact", status="new", observed_at=now, last_seen_at=now,
                            created_at=now, updated_at=now))
            session.commit()
    finally:
        engine.dispose()


def test_page_recovers_after_server_restart_and_catches_up(
    console: ConsoleServer, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page(1366, 768)  # a laptop
    login(page, "olivia")
    conn = page.locator("#conn")
    console.stop()
    expect(conn).to_have_attribute("data-state", re.compile("reconnecting|connecting"))
    expect(conn).to_contain_text("RECONNECTING")
    page.screenshot(path=screenshots / "11-reconnecting.png")
    _insert_hit_while_down(console, "AB12CDE")  # a hit the page has not seen
    console.start()
    expect(conn).to_have_attribute("data-state", "live", timeout=40_000)
    # Caught up without a reload: the missed hit raises the banner and joins the queue.
    expect(page.locator("[data-testid=banner-plate]")).to_have_text("AB12CDE", timeout=15_000)
    expect(page.locator("[data-testid=hit-queue] li[data-plate=AB12CDE]")).to_be_visible()
    page.screenshot(path=screenshots / "12-recovered.png")

    page.locator("[data-testid=hit-queue] li[data-plate=AB12CDE]").click()
    page.keyboard.press("r")  # reject with the keyboard: reason 3 = vehicle does not match
    dialog = page.locator("[data-testid=dlg-reject]")
    expect(dialog).to_be_visible()
    page.keyboard.press("3")
    dialog.locator("textarea").fill("blue Golf, not a Focus")
    page.keyboard.press("Control+Enter")
    status = page.locator("[data-testid=hit-detail] [data-testid=hit-status]")
    expect(status).to_contain_text("REJECTED by olivia")
    expect(status).to_contain_text("vehicle_mismatch")
    rows = db_rows(console, select(Hit.status, Hit.status_by, Hit.reject_reason)
                   .where(Hit.plate == "AB12CDE"))
    assert [tuple(r) for r in rows] == [("rejected", "olivia", "vehicle_mismatch")]
