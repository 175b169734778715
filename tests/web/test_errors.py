"""Errors mapped to HTTP in one place: a full disk is a 507 ``storage_full``, never a 500
(issue 14).

The disk is really full: the data folder and the database live on a small tmpfs that a filler
file fills up (for PostgreSQL, the test database is in a tablespace on it), so SQLite answers
``database or disk is full`` and PostgreSQL ``DiskFull`` (53100) as they do in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rtcc.clock import FakeClock
from rtcc.runtime.services import Services
from tests.support import tinyfs
from tests.support.accounts import TEST_PASSWORD, add_user
from web.app import create_app

CREDS = {"username": "kim", "password": TEST_PASSWORD}
SEARCH = {
    "reason": "stolen vehicle follow-up",
    "case_number": "2026-00042",
    "plate": "AB*",
    "purpose": "investigation",
}
TRIES = 300  # PostgreSQL fails once a table or index must grow past its last free page


@pytest.fixture(params=["sqlite", "postgres"])
def tiny(
    request: pytest.FixtureRequest, make_settings: Any, clock: FakeClock
) -> Iterator[tuple[Services, Any]]:
    with tinyfs.services_on_tmpfs(request.param, make_settings, clock) as (svc, mount):
        add_user(svc, "kim", ["detective"])
        yield svc, mount


def first_refusal(call: Callable[[], Any]) -> Any:
    """Repeat a writing request until one is refused (each one stores rows)."""
    for _ in range(TRIES):
        resp = call()
        if resp.status_code != 200:
            return resp
    raise AssertionError(f"still accepted after {TRIES} requests on a full disk")


def test_login_and_search_on_a_full_disk_are_507_storage_full_then_work_again(
    tiny: tuple[Services, Any],
) -> None:
    svc, mount = tiny
    client = TestClient(create_app(svc))  # a 500 would raise here, not pass as a status
    assert client.post("/api/auth/login", json=CREDS).status_code == 200
    filler = tinyfs.fill(mount)

    for resp in (
        first_refusal(lambda: client.post("/api/auth/login", json=CREDS)),
        first_refusal(lambda: client.get("/api/reads", params=SEARCH)),
    ):
        assert resp.status_code == 507, resp.text
        body = resp.json()
        assert body["error"] == "storage_full" and "storage is full" in body["detail"]

    filler.unlink()  # space is back: nothing to restart, the next requests simply work
    assert client.post("/api/auth/login", json=CREDS).status_code == 200
    assert client.get("/api/reads", params=SEARCH).status_code == 200
