"""``/api/health`` while the database is unreachable (issue 14, "Faults"): never a 500; anonymous
callers learn only "degraded"; a signed-in user who can still be verified learns that the
database is unreachable and how many worker messages wait in the local spool; all is ok again
once the spool is stored. A real outage on both databases (``tests.support.db_outage``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rtcc.clock import FakeClock
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from rtcc.runtime.spool import IngestSpool
from tests.support.accounts import TEST_PASSWORD, add_user
from tests.support.db_outage import Outage, services_with_outage
from tests.support.hotlists import add_camera
from tests.support.reads import CAMERAS, read
from web.app import create_app


@pytest.fixture
def served(
    db_url: str, make_settings: Any, clock: FakeClock
) -> Iterator[tuple[Services, Outage, Runtime, TestClient, TestClient]]:
    with services_with_outage(db_url, make_settings, clock) as (svc, outage):
        for cam in CAMERAS:
            add_camera(svc, cam)
        add_user(svc, "ops", ["officer"])
        IngestSpool.open(svc.settings.data_dir).close()  # a spool: the runtime drains it
        runtime = Runtime(svc, cameras=False)
        runtime.start()
        try:
            app = create_app(svc, runtime)
            signed, anonymous = TestClient(app), TestClient(app)
            creds = {"username": "ops", "password": TEST_PASSWORD}
            assert signed.post("/api/auth/login", json=creds).status_code == 200
            yield svc, outage, runtime, signed, anonymous
        finally:
            runtime.stop()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_health_says_the_database_is_unreachable_and_what_waits(
    served: tuple[Services, Outage, Runtime, TestClient, TestClient],
) -> None:
    svc, outage, runtime, signed, anonymous = served
    assert runtime.ingest is not None
    ok = signed.get("/api/health").json()
    assert ok["database"] == svc.engine.dialect.name and ok["queued"] == 0
    outage.cut()
    try:
        runtime.ingest.source.put(read(1))
        wait_until(runtime.database_unreachable, "the ingest to notice the outage")
        anon = anonymous.get("/api/health")
        assert anon.status_code == 200
        assert {k: v for k, v in anon.json().items() if v is not None} == {"status": "degraded"}
        got = signed.get("/api/health")
        assert got.status_code == 200 and got.json()["status"] == "degraded"
        body = got.json()
        if svc.engine.dialect.name == "sqlite":  # write-locked, still readable: still verified
            assert body["database"] == "unreachable" and body["queued"] == 1
        else:  # no connection at all: nobody can be verified, so the anonymous answer
            assert {k for k, v in body.items() if v is not None} == {"status"}
    finally:
        outage.restore()
    wait_until(
        lambda: not runtime.database_unreachable() and runtime.spooled() == 0,
        "the spool to be stored",
    )
    back = signed.get("/api/health").json()
    assert back["database"] == svc.engine.dialect.name and back["queued"] == 0


def test_requests_during_an_outage_are_503_database_unavailable_not_500(
    served: tuple[Services, Outage, Runtime, TestClient, TestClient],
) -> None:
    """Any route that needs the database answers 503 ``database_unavailable`` with a
    Retry-After while it cannot be reached (sign-in included), and works again after."""
    svc, outage, _, signed, anonymous = served
    assert signed.get("/api/hits").status_code == 200
    outage.cut()
    try:
        for path in ("/api/hits", "/api/reads/recent"):  # (camera states come from memory)
            resp = signed.get(path)
            assert resp.status_code == 503, (path, resp.status_code, resp.text[:300])
            assert resp.json()["error"] == "database_unavailable"
            assert resp.headers["Retry-After"] == "5"
        creds = {"username": "ops", "password": TEST_PASSWORD}
        resp = anonymous.post("/api/auth/login", json=creds)
        assert resp.status_code == 503 and resp.json()["error"] == "database_unavailable"
    finally:
        outage.restore()
    wait_until(lambda: signed.get("/api/hits").status_code == 200, "the hits again")
