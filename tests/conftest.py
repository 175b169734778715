"""Shared fixtures: real databases (SQLite per test, PostgreSQL when configured), fake clock,
settings, services, and the paths of ``../shared``."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from rtcc.clock import FakeClock
from rtcc.config import Settings, load_settings
from rtcc.runtime.services import Services, build_services

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RTCC_SHARED_DIR", ROOT.parent / "shared"))
POSTGRES_URL = os.environ.get("RTCC_TEST_POSTGRES_URL")


def shared_path(rel: str) -> Path:
    """A file under ../shared, or skip the test on machines that do not have it."""
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{path} not available on this machine")
    return path


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
    name = f"rtcc_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


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


@pytest.fixture
def sqlite_services(make_settings: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    """Like ``services`` but SQLite only (for tests that need no PostgreSQL variant)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    svc = build_services(make_settings(database={"url": url}), clock=clock)
    try:
        yield svc
    finally:
        svc.engine.dispose()
