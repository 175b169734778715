"""Shared fixtures: real databases (SQLite per test, PostgreSQL when configured), fake clock,
settings, services and the RTSP clip. Shared helpers (paths, accounts, servers) are in
``tests.support``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rtcc.clock import FakeClock
from rtcc.config import Settings, load_settings
from rtcc.runtime.services import Services, build_services
from tests.support.accounts import TEST_PASSWORD
from tests.support.paths import POSTGRES_URL, shared_path
from tests.support.pgdb import scratch_database
from tests.support.rtsp import gst_available, make_rtsp_clip


@pytest.fixture
def model_dir() -> Path:
    return shared_path("models")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and a new PostgreSQL database when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("RTCC_TEST_POSTGRES_URL not set")
    with scratch_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    """Build settings for a test: ``make_settings(database={"url": ...}, cameras=[...])``."""

    def build(**overrides: Any) -> Settings:
        base: dict[str, Any] = {"data_dir": str(tmp_path / "data"), "environment": "test"}
        base.update(overrides)
        return load_settings(None, overrides=base, environ={})

    return build


@pytest.fixture
def services(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Services]:
    """Migrated database + in-process bus + fake clock, on SQLite and PostgreSQL."""
    svc = build_services(make_settings(database={"url": db_url}), clock=clock)
    try:
        yield svc
    finally:
        svc.engine.dispose()


@pytest.fixture(scope="session")
def rtsp_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The H.264 clip the RTSP servers serve (``tests.support.rtsp.make_rtsp_clip``)."""
    if not gst_available():
        pytest.skip(
            "GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) or ffmpeg not installed"
        )
    return make_rtsp_clip(tmp_path_factory.mktemp("rtsp"))


@pytest.fixture
def sqlite_services(make_settings: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    """Like ``services`` but SQLite only (for tests that need no PostgreSQL variant)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    svc = build_services(make_settings(database={"url": url}), clock=clock)
    try:
        yield svc
    finally:
        svc.engine.dispose()


# --- authenticated API clients (issue 6) ---------------------------------------------------


@pytest.fixture
def api_app(services: Services) -> Any:
    """The full app (no runtime) on the ``services`` database."""
    from web.app import create_app

    return create_app(services)


@pytest.fixture
def api_client(api_app: Any) -> Iterator[Any]:
    """``api_client(role, cameras=[...], hotlists=[...], bearer=False, app=None) -> TestClient``.

    Creates a user with that role (or ``roles=[...]``) in the app's database and signs in through
    the real login route: the session cookie is kept and the CSRF header set on every request.
    ``bearer=True`` uses an API token instead. ``role=None`` gives an anonymous client.
    ``client.username`` / ``client.password`` tell who it is.
    """
    from fastapi.testclient import TestClient

    from rtcc.audit import SYSTEM
    from rtcc.auth import tokens, users

    clients: list[Any] = []
    counter = iter(range(1, 1_000_000))

    def make(
        role: str | None,
        *,
        roles: list[str] | None = None,
        cameras: list[str] | None = None,
        hotlists: list[int] | None = None,
        bearer: bool = False,
        username: str | None = None,
        app: Any = None,
        raise_server_exceptions: bool = True,
    ) -> Any:
        target = app if app is not None else api_app
        client = TestClient(target, raise_server_exceptions=raise_server_exceptions)
        clients.append(client)
        if role is None and roles is None:
            return client
        svc = target.state.services
        name = username or f"{role or 'user'}{next(counter)}"
        with svc.sessions() as session:
            users.create_user(
                session,
                username=name,
                roles=roles or [role],
                password=TEST_PASSWORD,
                now=svc.clock.now(),
                actor=SYSTEM,
                cameras=cameras,
                hotlists=hotlists,
                min_password_length=svc.settings.auth.min_password_length,
            )
            secret = None
            if bearer:
                _, secret = tokens.issue(
                    session, username=name, now=svc.clock.now(), actor=SYSTEM, name="test"
                )
            session.commit()
        if bearer:
            client.headers["Authorization"] = f"Bearer {secret}"
        else:
            creds = {"username": name, "password": TEST_PASSWORD}
            resp = client.post("/api/auth/login", json=creds)
            assert resp.status_code == 200, resp.text
            client.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
        client.username = name  # type: ignore[attr-defined]
        client.password = TEST_PASSWORD  # type: ignore[attr-defined]
        return client

    yield make
    for client in clients:
        client.close()
