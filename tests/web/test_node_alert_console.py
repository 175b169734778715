"""Storage alerts of camera nodes in real Chromium: each place (a node, the API host) keeps its
own banner, titled with the node, and a node's recovery clears only that node's banner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect, sync_playwright

from rtcc.events import SystemAlertEvent
from rtcc.runtime.services import Services
from rtcc.vocab import AlertSeverity, SystemAlertKind
from tests.support.accounts import TEST_PASSWORD, add_user
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, login
from tests.support.serving import serve
from web.app import create_app

pytestmark = [pytest.mark.browser]
SINCE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _storage(origin: str | None, *, active: bool, message: str) -> SystemAlertEvent:
    return SystemAlertEvent(
        kind=SystemAlertKind.STORAGE_DEGRADED,
        severity=AlertSeverity.CRITICAL,
        active=active,
        message=message,
        since=SINCE,
        origin=origin,
    )


@pytest.fixture
def console(services: Services) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    add_user(services, "olivia", ["officer"])
    with serve(create_app(services)) as url:
        yield url


def test_each_node_keeps_its_own_storage_banner(services: Services, console: str) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_context(base_url=console).new_page()
            page.set_default_timeout(30_000)
            login(page, "olivia", TEST_PASSWORD)
            banners = page.locator("[data-testid=system-alert]")
            node = page.locator('[data-testid=system-alert][data-kind="storage_degraded@node n1"]')
            host = page.locator('[data-testid=system-alert][data-kind="storage_degraded"]')
            services.bus.publish(
                _storage("node n1", active=True, message="node n1: storage full: /d: no space")
            )
            expect(node).to_contain_text("node n1: storage full")
            expect(node).to_contain_text("STORAGE DEGRADED · NODE N1")
            services.bus.publish(_storage(None, active=True, message="storage full: /srv"))
            expect(host).to_contain_text("storage full: /srv")
            expect(banners).to_have_count(2)
            services.bus.publish(
                _storage("node n1", active=False, message="node n1: storage recovered")
            )
            expect(node).to_have_count(0)
            expect(host).to_be_visible()  # the API host's disk is still full
        finally:
            browser.close()
