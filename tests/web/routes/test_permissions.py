"""Every route of the fully built app declares a permission, and the app enforces it.

Unauthenticated callers get 401 (websockets are refused with close code 4401), each role without
the permission 403, each role with it neither. A new route without ``require(...)`` fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import Mount, Route
from starlette.websockets import WebSocketDisconnect

from rtcc.auth.roles import PUBLIC, ROLE_PERMISSIONS, ROLES
from web.security import WS_UNAUTHENTICATED, permission_of

# FastAPI's own documentation routes and the static assets of the console (no data in them).
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
STATIC_MOUNTS = {"/static"}
PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def routes(app: Any) -> list[Any]:
    """Every route with its effective dependencies (routers included with their own)."""
    return list(iter_route_contexts(app.routes))


def declared_permissions(route: Any) -> set[str]:
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        perm = permission_of(dep.call)
        if perm is not None:
            found.add(perm)
        stack.extend(dep.dependencies)
    return found


def concrete(path: str) -> str:
    """Fill path parameters with a value that names nothing (so the right role gets a 404)."""
    return PARAM.sub("999999", path)


def test_every_route_declares_a_permission(api_app: Any) -> None:
    missing = []
    for route in routes(api_app):
        kind = route.original_route
        if isinstance(kind, APIRoute | APIWebSocketRoute):
            perms = declared_permissions(route)
            if len(perms) != 1:
                missing.append(f"{route.path}: declares {sorted(perms) or 'no permission'}")
        elif isinstance(kind, Mount):
            if route.path not in STATIC_MOUNTS:
                missing.append(f"{route.path}: mounted app without a permission check")
        elif isinstance(kind, Route):
            if route.path not in FRAMEWORK_ROUTES:
                missing.append(f"{route.path}: plain route without a permission check")
        else:
            missing.append(f"{getattr(route, 'path', route)}: unknown route type")
    assert not missing, "routes without a declared permission:\n" + "\n".join(missing)


@pytest.fixture
def role_clients(api_client: Any) -> dict[str, Any]:
    clients = {role: api_client(role, bearer=True, raise_server_exceptions=False) for role in ROLES}
    clients["anonymous"] = api_client(None, raise_server_exceptions=False)
    return clients


def _http_cases(app: Any) -> list[tuple[str, str, str]]:
    cases = []
    for route in routes(app):
        perms = declared_permissions(route) if isinstance(route.original_route, APIRoute) else ()
        if len(perms) == 1:
            (perm,) = perms
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                cases.append((method, concrete(route.path), perm))
    return cases


def test_http_routes_enforce_their_permission(api_app: Any, role_clients: dict[str, Any]) -> None:
    problems = []
    cases = _http_cases(api_app)
    assert len(cases) >= 10
    for method, path, perm in cases:
        status = role_clients["anonymous"].request(method, path).status_code
        if perm != PUBLIC and status != 401:
            problems.append(f"{method} {path} anonymous -> {status}, expected 401")
        for role in ROLES:
            status = role_clients[role].request(method, path, json={}).status_code
            allowed = perm == PUBLIC or perm in ROLE_PERMISSIONS[role]
            if allowed and status in (401, 403):
                problems.append(f"{method} {path} {role} (has {perm}) -> {status}")
            if not allowed and status != 403:
                problems.append(f"{method} {path} {role} (lacks {perm}) -> {status}, expected 403")
            if status >= 500:
                problems.append(f"{method} {path} {role} -> {status}")
    assert not problems, "\n".join(problems)


def test_denials_are_audited(api_app: Any, role_clients: dict[str, Any]) -> None:
    from sqlalchemy import select

    from rtcc.models import AuditEvent

    assert role_clients["officer"].get("/api/audit").status_code == 403
    with api_app.state.services.sessions() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert ev.username == role_clients["officer"].username
    assert ev.details == {"permission": "audit:view", "method": "GET"}


def test_websockets_refuse_anonymous_and_admit_roles(
    api_app: Any, role_clients: dict[str, Any]
) -> None:
    ws_routes = [r for r in routes(api_app) if isinstance(r.original_route, APIWebSocketRoute)]
    assert ws_routes
    for route in ws_routes:
        path = concrete(route.path)
        anonymous = role_clients["anonymous"]
        with pytest.raises(WebSocketDisconnect) as refused, anonymous.websocket_connect(path) as ws:
            ws.receive_json()
        assert refused.value.code == WS_UNAUTHENTICATED, path
        (perm,) = declared_permissions(route)
        for role in ROLES:
            client = role_clients[role]
            if perm in ROLE_PERMISSIONS[role]:
                with client.websocket_connect(path) as ws:
                    assert ws.receive_json()["type"] == "hello"
            else:
                with pytest.raises(WebSocketDisconnect), client.websocket_connect(path) as ws:
                    ws.receive_json()
