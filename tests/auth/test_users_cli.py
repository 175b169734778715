"""``rtcc users ...``: the first admin, disabling, tokens; bad input exits 2 naming the field."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from rtcc.cli.main import main
from rtcc.models import AuditEvent, User
from rtcc.runtime.services import Services
from web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def config(tmp_path: Path, sqlite_services: Services) -> Path:
    path = tmp_path / "rtcc.yaml"
    path.write_text(yaml.safe_dump({
        "data_dir": str(sqlite_services.settings.data_dir),
        "database": {"url": sqlite_services.settings.database_url},
    }))
    return path


def _run(config: Path, monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", *argv, "--config", str(config)])


def test_add_admin_then_login_disable_and_token(
    config: Path, sqlite_services: Services, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(config, monkeypatch, "add", "chief", "--role", "admin", "--password-stdin",
                stdin=PASSWORD + "\n") == 0
    client = TestClient(create_app(sqlite_services))
    ok = client.post("/api/auth/login", json={"username": "chief", "password": PASSWORD})
    assert ok.status_code == 200
    capsys.readouterr()
    assert _run(config, monkeypatch, "token", "chief") == 0
    token = capsys.readouterr().out.strip()
    bearer = TestClient(create_app(sqlite_services), headers={"Authorization": f"Bearer {token}"})
    assert bearer.get("/api/users").status_code == 200
    assert _run(config, monkeypatch, "disable", "chief") == 0
    assert bearer.get("/api/users").status_code == 401
    assert client.get("/api/auth/me").status_code == 401  # sessions end too
    with sqlite_services.sessions() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[:1] == ["user.create"] and "token.issue" in actions
    assert "user.disable" in actions


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (("add", "x1", "--role", "admin", "--password-stdin"), "short\n", "at least 12"),
        (("add", "bad name!", "--role", "admin", "--no-password"), "", "username"),
        (("disable", "nobody"), "", "no user 'nobody'"),
    ],
)
def test_bad_input_exits_2(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...], stdin: str, message: str, sqlite_services: Services,
) -> None:
    assert _run(config, monkeypatch, *argv, stdin=stdin) == 2
    assert message in capsys.readouterr().err
    with sqlite_services.sessions() as s:
        assert s.scalars(select(User)).all() == []  # nothing half-written


def test_bootstrap_admin_from_settings_once(make_settings: Any, tmp_path: Path) -> None:
    from rtcc.runtime.services import build_services

    url = f"sqlite:///{tmp_path / 'boot.db'}"
    settings = make_settings(database={"url": url},
                             auth={"bootstrap_admin": "root", "bootstrap_password": PASSWORD})
    from rtcc.cli.serve import first_start

    services = build_services(settings)
    try:
        client = TestClient(create_app(services))
        with services.sessions() as s:  # the app factory writes nothing
            assert s.scalars(select(User)).all() == []
        first_start(services)
        assert client.post("/api/auth/login",
                           json={"username": "root", "password": PASSWORD}).status_code == 200
        first_start(services)  # a second start creates nothing more
        with services.sessions() as s:
            assert [u.username for u in s.scalars(select(User))] == ["root"]
    finally:
        services.engine.dispose()
