"""Issue 14, authentication and sessions: each test reproduces what a review found (both DBs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rtcc.audit import SYSTEM
from rtcc.auth import users
from rtcc.clock import FakeClock
from rtcc.models import AuditEvent
from rtcc.runtime.services import Services, build_services
from tests.support.accounts import TEST_PASSWORD
from web.app import create_app

GUESSES = 30


@pytest.fixture
def open_app(make_settings: Any, db_url: str, clock: FakeClock) -> Iterator[Any]:
    """The app with a generous per-address limit (the burst comes from one test client)."""
    services = build_services(
        make_settings(database={"url": db_url}, auth={"login_rate_per_minute": 1000}),
        clock=clock,
    )
    try:
        yield create_app(services)
    finally:
        services.engine.dispose()


def _add_user(services: Services, name: str, password: str | None = TEST_PASSWORD,
              roles: list[str] | None = None) -> None:
    with services.sessions() as s:
        users.create_user(s, username=name, roles=roles or ["detective"], password=password,
                          now=services.clock.now(), actor=SYSTEM, min_password_length=12)
        s.commit()


def _login_rows(services: Services, username: str) -> list[AuditEvent]:
    with services.sessions() as s:
        return list(s.scalars(select(AuditEvent).where(
            AuditEvent.action == "auth.login", AuditEvent.target == f"user:{username}")))


def test_parallel_guesses_cannot_bypass_the_lockout(open_app: Any) -> None:
    services: Services = open_app.state.services
    _add_user(services, "victim")
    start = threading.Barrier(GUESSES + 1)
    answers: list[tuple[str, int]] = []

    def guess(password: str) -> None:
        client = TestClient(open_app)
        start.wait()
        r = client.post("/api/auth/login", json={"username": "victim", "password": password})
        answers.append((password, r.status_code))

    threads = [threading.Thread(target=guess, args=(f"wrong-guess-{i:03d}",))
               for i in range(GUESSES)]
    threads.append(threading.Thread(target=guess, args=(TEST_PASSWORD,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == GUESSES + 1
    assert all(code == 401 for pw, code in answers if pw != TEST_PASSWORD)
    right_in_burst = dict(answers)[TEST_PASSWORD] == 200
    rows = _login_rows(services, "victim")
    checked = [r for r in rows if (r.details or {}).get("reason") == "bad_credentials"]
    attempts = services.settings.auth.lockout_attempts
    # Only attempts inside the budget ever reach the password check (twice the budget when
    # the right password, inside the first budget, reset the counter mid-burst).
    assert len(checked) <= attempts * (2 if right_in_burst else 1)
    with services.sessions() as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "auth.lockout")), (
            sorted(answers, key=lambda a: a[1]),
            [(r.id, (r.details or {}).get("reason"), (r.details or {}).get("failed_logins"))
             for r in rows])
    after = TestClient(open_app).post(
        "/api/auth/login", json={"username": "victim", "password": TEST_PASSWORD})
    assert after.status_code == 401  # locked, although the password is right


def test_unknown_locked_and_disabled_accounts_get_the_same_answer(
    open_app: Any, clock: FakeClock
) -> None:
    services: Services = open_app.state.services
    _add_user(services, "locked1")
    _add_user(services, "gone1")
    client = TestClient(open_app)
    for _ in range(services.settings.auth.lockout_attempts):
        client.post("/api/auth/login", json={"username": "locked1", "password": "not-it-at-all"})
    with services.sessions() as s:
        users.update_user(s, username="gone1", now=clock.now(), actor=SYSTEM,
                          changes={"disabled": True})
        s.commit()
    answers = {
        name: client.post("/api/auth/login", json={"username": name, "password": pw})
        for name, pw in (("nobody-here", TEST_PASSWORD), ("locked1", TEST_PASSWORD),
                         ("gone1", TEST_PASSWORD), ("locked1", "wrong-password-1"))
    }
    bodies = {(r.status_code, r.text) for r in answers.values()}
    assert len(bodies) == 1 and next(iter(bodies))[0] == 401
    reasons = {(r.details or {}).get("reason") for r in _login_rows(services, "gone1")}
    assert "disabled" in reasons  # the audit trail keeps the real reason


def test_failed_logins_are_rate_limited_per_address(
    make_settings: Any, db_url: str, clock: FakeClock
) -> None:
    services = build_services(
        make_settings(database={"url": db_url}, auth={"login_rate_per_minute": 5}), clock=clock)
    try:
        app = create_app(services)
        _add_user(services, "real1")
        client = TestClient(app)
        ok = {"username": "real1", "password": TEST_PASSWORD}
        for _ in range(3):
            assert client.post("/api/auth/login", json=ok).status_code == 200  # not counted
        codes = [client.post("/api/auth/login",
                             json={"username": f"spray{i}", "password": "Winter2026!!"}).status_code
                 for i in range(6)]
        assert codes == [401] * 5 + [429]
        assert client.post("/api/auth/login", json=ok).status_code == 429
        clock.advance(seconds=61)
        assert client.post("/api/auth/login", json=ok).status_code == 200
    finally:
        services.engine.dispose()


def test_tokens_only_for_yourself_or_service_accounts_and_audited_by_credential(
    api_client: Any, api_app: Any
) -> None:
    services: Services = api_app.state.services
    admin = api_client("admin")
    detective = api_client("detective")
    refused = admin.post(f"/api/users/{detective.username}/tokens", json={"name": "x"})
    assert refused.status_code == 403
    own = admin.post(f"/api/users/{admin.username}/tokens", json={"name": "mine"})
    assert own.status_code == 201 and own.json()["expires_at"]
    _add_user(services, "lpr-feed", password=None)
    svc = admin.post("/api/users/lpr-feed/tokens", json={"name": "feed"})
    assert svc.status_code == 201
    bearer = TestClient(api_app, headers={"Authorization": f"Bearer {svc.json()['token']}"})
    assert bearer.get("/api/auth/me").status_code == 200
    with services.sessions() as s:
        issued = s.scalars(select(AuditEvent).where(AuditEvent.action == "token.issue",
                                                    AuditEvent.outcome == "success")).all()
        creds = {e.credential for e in issued}
        denied = s.scalar(select(AuditEvent).where(AuditEvent.action == "token.issue",
                                                   AuditEvent.outcome == "denied"))
    assert len(creds) == 1 and next(iter(creds)).startswith("session:")
    assert denied is not None and denied.username == admin.username


def test_nobody_grants_roles_to_themselves(api_client: Any) -> None:
    admin = api_client("admin")
    api_client("admin")  # another admin exists, so "last admin" is not the reason
    r = admin.patch(f"/api/users/{admin.username}", json={"roles": ["admin", "detective"]})
    assert r.status_code == 403


def test_tokens_expire_and_die_with_password_change_and_disable(
    api_client: Any, api_app: Any, clock: FakeClock
) -> None:
    from rtcc.auth import tokens

    services: Services = api_app.state.services
    _add_user(services, "svc-a", password=None)
    _add_user(services, "person-b")

    def token_for(name: str) -> TestClient:
        with services.sessions() as s:
            _, secret = tokens.issue(s, username=name, now=clock.now(), actor=SYSTEM)
            s.commit()
        return TestClient(api_app, headers={"Authorization": f"Bearer {secret}"})

    expiring = token_for("svc-a")
    assert expiring.get("/api/auth/me").status_code == 200
    clock.advance(days=90, seconds=1)
    assert expiring.get("/api/auth/me").status_code == 401
    by_password, by_disable = token_for("person-b"), token_for("svc-a")
    with services.sessions() as s:
        users.set_password(s, username="person-b", password="a whole new passphrase",
                           now=clock.now(), actor=SYSTEM, min_password_length=12)
        users.update_user(s, username="svc-a", now=clock.now(), actor=SYSTEM,
                          changes={"disabled": True})
        users.update_user(s, username="svc-a", now=clock.now(), actor=SYSTEM,
                          changes={"disabled": False})
        s.commit()
    assert by_password.get("/api/auth/me").status_code == 401
    assert by_disable.get("/api/auth/me").status_code == 401  # re-enabling does not revive it


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("sergeant.pepper", "sergeant.pepper", "the username"),
        ("jdoe", "aaaaaaaaaaaaaaaa", "one repeated character"),
        ("jdoe", "Password1234!", "commonly used"),
        ("jdoe", "qwertyuiop123", "commonly used"),
    ],
)
def test_weak_passwords_are_refused(
    api_client: Any, username: str, password: str, message: str
) -> None:
    admin = api_client("admin")
    r = admin.post("/api/users", json={"username": username, "roles": ["officer"],
                                       "password": password})
    assert r.status_code == 422 and r.json()["field"] == "password"
    assert message in r.json()["detail"]


@pytest.mark.parametrize("lookalike", ["Admin2", "admin2.", "ad-min2", "ＡＤＭＩＮ2", " admin2"])
def test_lookalike_usernames_are_refused_and_login_ignores_case(
    api_client: Any, api_app: Any, lookalike: str
) -> None:
    admin = api_client("admin")
    assert admin.post("/api/users", json={"username": "admin2", "roles": ["officer"],
                                          "password": TEST_PASSWORD}).status_code == 201
    r = admin.post("/api/users", json={"username": lookalike, "roles": ["admin"]})
    assert r.status_code == 409 and r.json()["field"] == "username"
    anon = TestClient(api_app)
    signed = anon.post("/api/auth/login", json={"username": "ADMIN2", "password": TEST_PASSWORD})
    assert signed.status_code == 200 and signed.json()["username"] == "admin2"


def test_concurrent_audited_requests_never_fail(open_app: Any) -> None:
    """Each failed sign-in appends to the audit chain; 40 at once all land (no 500)."""
    from rtcc import audit

    services: Services = open_app.state.services
    start = threading.Barrier(40)
    codes: list[int] = []

    def attempt(i: int) -> None:
        client = TestClient(open_app, raise_server_exceptions=False)
        start.wait()
        codes.append(client.post("/api/auth/login",
                                 json={"username": f"ghost{i}", "password": "nope"}).status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [401] * 40
    with services.sessions() as s:
        report = audit.check_chain(s)
    assert report.ok and report.rows >= 40


def test_the_live_feed_refuses_pages_from_another_origin(api_client: Any) -> None:
    from starlette.websockets import WebSocketDisconnect

    from web.security import WS_FORBIDDEN

    officer = api_client("officer")
    with officer.websocket_connect("/ws/events", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"
    for other in ("http://testserver:8081", "http://evil.example", "null"):
        with pytest.raises(WebSocketDisconnect) as refused, officer.websocket_connect(
            "/ws/events", headers={"origin": other}
        ) as ws:
            ws.receive_json()
        assert refused.value.code == WS_FORBIDDEN, other


def _read_event(read_id: int) -> Any:
    from datetime import UTC, datetime

    from rtcc.events import ReadEvent

    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return ReadEvent(id=read_id, camera_id="north", plate=f"PLATE{read_id}", confidence=0.9,
                     status="final", region=None, frames=3, observed_at=when,
                     last_seen_at=when, snapshot_url=None, crop_url=None)


@pytest.mark.parametrize(
    ("end", "code"),
    [("logout", 4401), ("disable", 4401), ("demote", 4403), ("idle", 4401), ("revoke", 4401)],
)
def test_the_socket_closes_when_the_session_ends_or_permissions_change(
    api_client: Any, api_app: Any, clock: FakeClock, end: str, code: int
) -> None:
    from starlette.websockets import WebSocketDisconnect

    from rtcc.auth import sessions, tokens
    from rtcc.models import AuthSession, User

    services: Services = api_app.state.services
    api_client("admin")  # so the detective is not the last anything
    viewer = api_client("detective", bearer=end == "revoke")
    with viewer.websocket_connect("/ws/events") as ws:
        assert ws.receive_json()["type"] == "hello"
        services.bus.publish(_read_event(1))
        assert ws.receive_json()["plate"] == "PLATE1"
        with services.sessions() as s:
            now = clock.now()
            user = s.scalar(select(User).where(User.username == viewer.username))
            assert user is not None
            if end == "logout":
                row = s.scalar(select(AuthSession).where(AuthSession.user_id == user.id))
                assert row is not None
                sessions.logout(s, row=row, user=user, now=now, source=None)
            elif end == "disable":
                users.update_user(s, username=user.username, now=now, actor=SYSTEM,
                                  changes={"disabled": True})
            elif end == "demote":
                users.update_user(s, username=user.username, now=now, actor=SYSTEM,
                                  changes={"roles": ["auditor"]})
            elif end == "revoke":
                (token,) = tokens.list_tokens(s, username=user.username)
                tokens.revoke(s, token_id=token.id, now=now, actor=SYSTEM)
            s.commit()
        clock.advance(minutes=31 if end == "idle" else 0, seconds=3)
        services.bus.publish(_read_event(2))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == code
