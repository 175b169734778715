"""The console: "Export evidence" from hit detail, progress, download as zip, list per case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rtcc.audit import SYSTEM
from rtcc.auth.users import create_user
from rtcc.db import transaction
from rtcc.evidence.verify import verify
from rtcc.runtime.services import Services
from tests.support.evidence import Recorded
from tests.support.serving import serve

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.browser]


@pytest.fixture
def services(sqlite_services: Services) -> Services:
    return sqlite_services


@pytest.fixture
def console_url(services: Services, recorded: Recorded) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    from web.app import create_app

    with transaction(services.sessions) as s:
        create_user(s, username="dave", roles=["detective"], password=PASSWORD,
                    now=services.clock.now(), actor=SYSTEM, min_password_length=12)
    with serve(create_app(services)) as url:
        yield url


def test_export_evidence_from_hit_detail_and_download_the_zip(
    console_url: str, services: Services, recorded: Recorded, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.support.browser import CHROMIUM_ARGS, login

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=console_url, accept_downloads=True,
                                          viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.set_default_timeout(20_000)
            login(page, "dave", PASSWORD)
            page.goto(f"{console_url}/#/hits/{recorded.hit_id}")
            page.click("[data-testid=export-evidence]")
            dialog = page.locator("[data-testid=dlg-evidence]")
            expect(dialog.locator("input[name=case_number]")).to_have_value("CASE-2026-0042")
            dialog.locator("input[name=reason]").fill("armed robbery, suspect vehicle")
            dialog.locator("input[name=pre_s]").fill("3")
            dialog.locator("input[name=post_s]").fill("3")
            dialog.locator("[data-testid=evidence-submit]").click()
            page.wait_for_selector("[data-testid=evidence-download]")
            assert page.locator("[data-testid=evidence-progress]").get_attribute("value") == "1"
            with page.expect_download() as info:
                page.click("[data-testid=evidence-download]")
            zipped = tmp_path / "dl.zip"
            info.value.save_as(zipped)
            page.click("text=Close")
            page.goto(f"{console_url}/#/evidence")
            page.fill("[data-testid=evidence-case]", "CASE-2026-0042")
            page.press("[data-testid=evidence-case]", "Enter")
            row = page.locator("[data-testid=evidence-list] tr[data-export-id]")
            row.first.wait_for()
            assert row.count() == 1 and "done" in row.first.inner_text()
        finally:
            browser.close()
    report = verify(zipped)
    assert report.ok, report.problems
    assert report.custody_entries == 2 and report.manifest["requester"] == "dave"
    assert report.manifest["window"]["seconds"] == 7.0
