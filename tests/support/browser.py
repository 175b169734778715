"""Headless Debian Chromium for the browser tests: where it is, how it is launched, where
screenshots go, and signing in through the console's login form."""

from __future__ import annotations

from playwright.sync_api import Page

from rtcc import headless
from tests.support.console_server import PASSWORD
from tests.support.paths import ROOT

CHROMIUM = headless.CHROMIUM
CHROMIUM_ARGS = list(headless.PLAYBACK_ARGS)
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the console shell."""
    page.goto("/")
    page.fill("#login-user", username)
    page.fill("#login-pass", password)
    page.click("#login-submit")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector('#conn[data-state="live"]')
