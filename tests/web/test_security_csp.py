"""The real console under its Content-Security-Policy: every view works, nothing is blocked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.support.browser import login
from tests.support.console_server import ConsoleServer

VIEWS = ("#/wall", "#/hits", "#/reads", "#/search", "#/map")


@pytest.mark.browser
def test_console_runs_with_no_csp_violation(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(_text(m)))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    response = page.goto("/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    login(page, "sam")  # supervisor: sees every view
    for view in VIEWS:
        page.goto(f"/{view}")
        page.wait_for_selector("main h2")
    _search(new_page(), messages)
    blocked = [m for m in messages if "Content Security Policy" in m or "pageerror" in m]
    assert blocked == []


def _search(page: Page, messages: list[str]) -> None:
    """A purpose-gated search renders its results table under the policy too."""
    page.on("console", lambda m: messages.append(_text(m)))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    login(page, "dave")
    page.goto("/#/search")
    form = page.locator("[data-testid=search-form]")
    form.locator("input[name=plate]").fill("*")
    purpose = form.locator("select[name=purpose]")
    if purpose.count():
        purpose.select_option(index=1)
    form.locator("input[name=reason]").fill("checking the console under its CSP")
    form.locator("input[name=case_number]").fill("CASE-2026-0042")
    form.locator("[data-testid=search-submit]").click()
    page.wait_for_load_state("networkidle")


def _text(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"
