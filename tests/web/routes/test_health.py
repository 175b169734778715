"""``/api/health`` reports the data folder's storage: degraded under the free-space minimum, full,
unwritable, and ok again once space is freed, on a real small file system (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rtcc.clock import FakeClock
from rtcc.runtime.services import Services
from tests.support import tinyfs
from tests.support.accounts import TEST_PASSWORD, add_user
from web.app import create_app

MIN_FREE_MB = 8


@pytest.fixture(params=["sqlite", "postgres"])
def clients(
    request: pytest.FixtureRequest, make_settings: Any, clock: FakeClock
) -> Iterator[tuple[TestClient, TestClient, Path]]:
    """(signed-in client, anonymous client, tmpfs mount) with the data folder on the tmpfs."""
    with tinyfs.services_on_tmpfs(
        request.param, make_settings, clock, storage={"min_free_mb": MIN_FREE_MB}
    ) as (svc, mount):
        signed, anonymous = _clients(svc)
        yield signed, anonymous, mount


def _clients(svc: Services) -> tuple[TestClient, TestClient]:
    add_user(svc, "ops", ["supervisor"])
    app = create_app(svc)
    signed = TestClient(app)
    resp = signed.post("/api/auth/login", json={"username": "ops", "password": TEST_PASSWORD})
    assert resp.status_code == 200, resp.text
    return signed, TestClient(app)


def _health(signed: TestClient, anonymous: TestClient) -> tuple[str, dict[str, Any]]:
    body = signed.get("/api/health").json()
    anon = anonymous.get("/api/health").json()
    assert {k for k, v in anon.items() if v is not None} == {"status"}  # nothing else leaks
    assert anon["status"] == body["status"]
    return body["status"], body["storage"]


def test_health_follows_the_disk_from_ok_to_degraded_full_and_back(
    clients: tuple[TestClient, TestClient, Path],
) -> None:
    signed, anonymous, mount = clients
    status, disk = _health(signed, anonymous)
    assert status == "ok" and disk["state"] == "ok"
    assert disk["path"] == str(mount / "data") and disk["min_free_bytes"] == MIN_FREE_MB << 20
    assert disk["free_bytes"] > MIN_FREE_MB << 20

    low = tinyfs.fill(mount, leave_bytes=(MIN_FREE_MB // 2) << 20)
    status, disk = _health(signed, anonymous)
    assert status == "degraded" and disk["state"] == "degraded", disk
    assert disk["free_bytes"] < MIN_FREE_MB << 20 and "minimum" in disk["detail"]

    rest = tinyfs.fill(mount)
    status, disk = _health(signed, anonymous)
    assert status == "degraded" and disk["state"] == "full", disk
    assert "no space left" in disk["detail"]

    rest.unlink()
    low.unlink()
    status, disk = _health(signed, anonymous)
    assert status == "ok" and disk["state"] == "ok"
    assert not list((mount / "data").glob(".rtcc-storage-probe*"))  # the probe leaves nothing


def test_health_says_unwritable_on_a_read_only_file_system(
    clients: tuple[TestClient, TestClient, Path],
) -> None:
    signed, anonymous, mount = clients
    with tinyfs.read_only(mount / "data"):
        status, disk = _health(signed, anonymous)
    assert status == "degraded" and disk["state"] == "unwritable", disk
    assert "Read-only file system" in disk["detail"]
    assert _health(signed, anonymous)[1]["state"] == "ok"
