"""Login, logout, sessions, CSRF, lockout and tokens through the real HTTP routes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rtcc.clock import FakeClock
from rtcc.models import AuditEvent
from tests.support.accounts import TEST_PASSWORD


def _actions(app: Any) -> list[tuple[str, str]]:
    with app.state.services.sessions() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.outcome) for e in events]


def test_login_sets_strict_httponly_cookie_and_me_works(api_client: Any) -> None:
    anon = api_client(None)
    assert anon.get("/api/auth/me").status_code == 401
    client = api_client("detective")
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["roles"] == ["detective"]
    assert "reads:search" in me.json()["permissions"]
    # a fresh login to inspect the Set-Cookie header
    resp = anon.post("/api/auth/login",
                     json={"username": client.username, "password": TEST_PASSWORD})
    cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith("rtcc_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_bearer_token_client(api_client: Any) -> None:
    client = api_client("auditor", bearer=True)
    assert client.get("/api/auth/me").json()["via"] == "token"
    bad = api_client(None)
    bad.headers["Authorization"] = "Bearer rtcc_nope"
    assert bad.get("/api/auth/me").status_code == 401


def test_state_change_needs_csrf_header(api_client: Any) -> None:
    client = api_client("officer")
    token = client.headers.pop("X-CSRF-Token")
    resp = client.post("/api/auth/logout")
    assert resp.status_code == 403
    assert "X-CSRF-Token" in resp.json()["detail"]
    client.headers["X-CSRF-Token"] = token
    assert client.post("/api/auth/logout").status_code == 200
    assert client.get("/api/auth/me").status_code == 401


def test_lockout_after_five_failures(api_client: Any, api_app: Any, clock: FakeClock) -> None:
    user = api_client("detective")
    anon = api_client(None)
    for _ in range(5):
        r = anon.post("/api/auth/login", json={"username": user.username, "password": "wrong-pw"})
        assert r.status_code == 401
    r = anon.post("/api/auth/login", json={"username": user.username, "password": TEST_PASSWORD})
    assert r.status_code == 401 and "locked" not in r.json()["detail"]  # no enumeration
    clock.advance(minutes=9)
    r = anon.post("/api/auth/login", json={"username": user.username, "password": TEST_PASSWORD})
    assert r.status_code == 401
    clock.advance(minutes=1, seconds=1)
    r = anon.post("/api/auth/login", json={"username": user.username, "password": TEST_PASSWORD})
    assert r.status_code == 200
    actions = _actions(api_app)
    assert ("auth.lockout", "denied") in actions
    assert actions.count(("auth.login", "failure")) == 5


def test_session_expires_after_idle(api_client: Any, clock: FakeClock) -> None:
    client = api_client("detective")
    clock.advance(minutes=29)
    assert client.get("/api/auth/me").status_code == 200  # activity keeps it alive
    clock.advance(minutes=29)
    assert client.get("/api/auth/me").status_code == 200
    clock.advance(minutes=30, seconds=1)
    assert client.get("/api/auth/me").status_code == 401
