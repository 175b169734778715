"""Authentication and permissions for every route.

Every route declares its permission with ``dependencies=[Depends(require("perm"))]`` (or
``require("public")`` for the few open routes: login, health, the console page). The dependency
authenticates the caller once per request — a ``Bearer`` API token or the browser session cookie
(with the CSRF header on state-changing requests) — and answers 401 or 403. Handlers get the
acting user with the ``CurrentUser`` annotation; ``Principal.actor`` is the ``rtcc.audit.Actor``.
What the caller may *see* is the ``VisibleScope`` annotation (``rtcc.auth.visibility``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, WebSocketException
from starlette.requests import HTTPConnection

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth import sessions, tokens
from rtcc.auth.principal import Principal
from rtcc.auth.roles import PERMISSIONS, PUBLIC, ROLE_PERMISSIONS
from rtcc.auth.visibility import Scope, scope_of
from rtcc.runtime.services import Services

__all__ = [
    "PERMISSIONS", "ROLE_PERMISSIONS", "Actor", "CurrentUser", "Principal", "Scope",
    "VisibleScope", "authenticate", "current_scope", "current_user", "permission_of", "public",
    "require", "session_policy",
]

SESSION_COOKIE = "rtcc_session"
CSRF_COOKIE = "rtcc_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WS_UNAUTHENTICATED = 4401
WS_FORBIDDEN = 4403


def session_policy(services: Services) -> sessions.Policy:
    auth = services.settings.auth
    return sessions.Policy(
        idle=timedelta(minutes=auth.session_idle_minutes),
        lockout_attempts=auth.lockout_attempts,
        lockout=timedelta(minutes=auth.lockout_minutes),
    )


def client_address(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def _deny(conn: HTTPConnection, status: int, detail: str) -> Exception:
    if conn.scope["type"] == "websocket":
        code = WS_UNAUTHENTICATED if status == 401 else WS_FORBIDDEN
        return WebSocketException(code=code, reason=detail)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)


def _bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else ""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(conn: HTTPConnection, services: Services) -> bool:
    """A websocket's ``Origin`` is this server (same scheme, host and port as the request),
    ``server.public_url`` or one of ``server.allowed_origins``. SameSite cookies do not tell
    ports apart, so without this a page on another port of the host could read the feed.
    Clients that send no Origin (not a browser) are judged by their credentials alone."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    host = conn.headers.get("host", "")
    scheme = "https" if conn.url.scheme in ("wss", "https") else "http"
    allowed = {f"{scheme}://{host}".lower()}
    server = services.settings.server
    if server.public_url:
        allowed.add(_origin_of(server.public_url))
    allowed |= {_origin_of(o) for o in server.allowed_origins}
    return origin.strip().lower() in allowed


def authenticate(conn: HTTPConnection) -> Principal:
    """The caller, authenticated once per request (cached on ``conn.state``); raises 401/403."""
    cached = getattr(conn.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    services: Services = conn.app.state.services
    if conn.scope["type"] == "websocket" and not origin_allowed(conn, services):
        raise _deny(conn, 403, "this page's origin may not open the live feed")
    now = services.clock.now()
    source = client_address(conn)
    token = _bearer(conn)
    with services.sessions() as db:
        if token is not None:
            resolved = tokens.resolve(db, secret=token, now=now) if token else None
            if resolved is None:
                raise _deny(conn, 401, "invalid, expired or revoked API token")
            user, token_row = resolved
            principal = Principal.from_user(user, source=source, via="token",
                                            credential=f"token:{token_row.id}")
        else:
            cookie = conn.cookies.get(SESSION_COOKIE)
            found = (
                sessions.resolve(db, cookie=cookie, now=now, policy=session_policy(services))
                if cookie else None
            )
            if found is None:
                db.commit()  # an idle session is ended even though the request fails
                raise _deny(conn, 401, "not signed in (or the session expired)")
            user, row = found
            method = conn.scope.get("method", "GET")
            if conn.scope["type"] == "http" and method not in SAFE_METHODS and not sessions.csrf_ok(
                row, conn.headers.get(CSRF_HEADER)
            ):
                raise _deny(conn, 403, f"missing or wrong {CSRF_HEADER} header")
            principal = Principal.from_user(user, source=source, via="session",
                                            credential=sessions.credential_of(row))
        db.commit()
    conn.state.principal = principal
    return principal


def require(permission: str) -> Callable[..., Any]:
    """A dependency that lets the request through only if the caller holds ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    if permission == PUBLIC:

        def open_route() -> None:
            return None

        open_route.permission = permission  # type: ignore[attr-defined]
        return open_route

    def dependency(conn: HTTPConnection) -> Principal:
        principal = authenticate(conn)
        if not principal.can(permission):
            _record_denial(conn, principal, permission)
            raise _deny(conn, 403, f"your role(s) {', '.join(principal.roles)} lack {permission!r}")
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def _record_denial(conn: HTTPConnection, principal: Principal, permission: str) -> None:
    services: Services = conn.app.state.services
    with services.sessions() as db:
        audit.record(
            db, now=services.clock.now(), actor=principal.actor, action="access.denied",
            outcome="denied", target=conn.url.path[:200],
            details={"permission": permission, "method": conn.scope.get("method", "WEBSOCKET")},
        )
        db.commit()


def public() -> Callable[..., Any]:
    return require(PUBLIC)


def permission_of(dependency: Any) -> str | None:
    return getattr(dependency, "permission", None)


def current_user(conn: HTTPConnection) -> Principal:
    return authenticate(conn)


CurrentUser = Annotated[Principal, Depends(current_user)]


def optional_user(conn: HTTPConnection) -> Principal | None:
    """The caller when signed in, else None (for public routes that say more to users)."""
    try:
        return authenticate(conn)
    except (HTTPException, WebSocketException):
        return None


MaybeUser = Annotated[Principal | None, Depends(optional_user)]


def current_scope(conn: HTTPConnection) -> Scope:
    """What the caller may see (``rtcc.auth.visibility``): filters and checks in every route."""
    return scope_of(authenticate(conn))


VisibleScope = Annotated[Scope, Depends(current_scope)]


WS_SESSION_ENDED = 4401  # the session ended (logout, idle, disable, token revoked)
WS_PERMISSIONS_CHANGED = 4403  # roles or assignments changed: reconnect to get the new view


class SocketGuard:
    """Re-checks an open websocket's credential before pushes, at most every ``every_s``.

    Read-only (it does not keep the session alive) and cheap: one primary-key read. Answers the
    close code when the session or token has ended, the account is disabled, or its roles and
    assignments are no longer the ones the socket was opened with; None while all is well.
    """

    def __init__(self, conn: HTTPConnection, principal: Principal, *, every_s: float = 2.0
                 ) -> None:
        self.services: Services = conn.app.state.services
        self.principal = principal
        self.cookie = conn.cookies.get(SESSION_COOKIE)
        self.token = _bearer(conn)
        self.every_s = every_s
        self._checked_at: float | None = None
        self._verdict: int | None = None

    async def __call__(self) -> int | None:
        now = self.services.clock.monotonic()
        if self._verdict is None and (
            self._checked_at is None or now - self._checked_at >= self.every_s
        ):
            self._verdict = await asyncio.to_thread(self.check)
            self._checked_at = now
        return self._verdict

    def check(self) -> int | None:
        services, p = self.services, self.principal
        now = services.clock.now()
        with services.sessions() as db:
            if p.via == "token":
                found = tokens.live(db, secret=self.token or "", now=now)
                user = found[0] if found else None
            else:
                user = sessions.live_user(db, cookie=self.cookie or "", now=now,
                                          policy=session_policy(services))
            if user is None:
                return WS_SESSION_ENDED
            if Principal.from_user(user, source=p.source, via=p.via).view != p.view:
                return WS_PERMISSIONS_CHANGED
        return None
