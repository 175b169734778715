"""HTTP hardening in front of every route: body size caps and security headers (pure ASGI).

* **Body caps** are decided per route before the body is read: a declared ``Content-Length``
  over the cap is refused at once with 413; a body without one (chunked) is counted as it
  arrives and refused when it passes the cap. JSON routes get ``server.max_body_bytes``;
  the upload routes in :data:`UPLOAD_ROUTES` get ``server.max_upload_bytes``.
* **Headers**: a Content-Security-Policy without inline script, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, ``nosniff``, and ``Cache-Control: no-store`` on every API
  answer (personal data and exports) and on the console page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rtcc.auth.ratelimit import RateLimiter
from rtcc.runtime.services import Services
from web.security import require

# Routes that take file uploads (multipart): the configured upload limit applies to them.
UPLOAD_ROUTES: tuple[str, ...] = ("/api/hotlists/import",)

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The API docs page: Swagger UI from the vendored package (``web/vendor.py``), no CDN. Swagger UI
# sets inline styles, so that page alone allows them; scripts stay 'self' only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` mid-body; FastAPI passes HTTP exceptions through as they are."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit:,}-byte limit of this route")
        self.limit = limit


def _limit_for(path: str, *, json_limit: int, upload_limit: int) -> int:
    return upload_limit if path in UPLOAD_ROUTES else json_limit


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({
        "error": "too_large",
        "detail": f"request body over the {limit:,}-byte limit of this route",
    }).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope["path"], json_limit=self.json_limit,
                           upload_limit=self.upload_limit)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False  # the server rejects a malformed length itself
            if too_big:
                await _too_large(send, limit)
                return
        started = False
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def style_hash_csp(css: str) -> str:
    """The console's policy, also allowing one inline ``<style>`` block (by its sha256): a
    standalone HTML document the server hands out (the transparency report)."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return CSP.replace("style-src 'self'", f"style-src 'self' 'sha256-{digest}'")


def _security_headers(path: str, *, has_csp: bool) -> Iterable[tuple[bytes, bytes]]:
    if not has_csp:  # a route that set its own (stricter or hashed) policy keeps it
        csp = DOCS_CSP if path in DOCS_PATHS else CSP
        yield b"content-security-policy", csp.encode()
    yield b"x-frame-options", b"DENY"
    yield b"referrer-policy", b"no-referrer"
    yield b"x-content-type-options", b"nosniff"
    yield b"cross-origin-opener-policy", b"same-origin"
    if not path.startswith("/static/"):
        yield b"cache-control", b"no-store"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = [
                    (k, v) for k, v in message.get("headers", [])
                    if k.lower() != b"cache-control" or path.startswith("/static/")
                ]
                has_csp = any(k.lower() == b"content-security-policy" for k, _ in headers)
                headers.extend(_security_headers(path, has_csp=has_csp))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def docs_urls(environment: str) -> dict[str, Any]:
    """FastAPI's own docs routes load Swagger UI and ReDoc from a CDN: always replaced by
    :func:`add_docs` (the vendored Swagger UI); open in development, signed-in elsewhere."""
    return {"docs_url": None, "redoc_url": None, "openapi_url": None}


def add_docs(app: FastAPI, *, signed_in: bool) -> None:
    """``/openapi.json`` and ``/docs`` (for signed-in users only, any role, unless open)."""
    deps = [Depends(require("self"))] if signed_in else []
    page = (Path(__file__).resolve().parent / "static" / "api-docs.html").read_text("utf-8")

    @app.get("/openapi.json", include_in_schema=False, dependencies=deps)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=deps)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)


def install_hardening(app: FastAPI, services: Services) -> None:
    """Body caps, security headers, the login rate limit and (outside development) docs that
    need a sign-in. Call once from the app factory, before the first request."""
    settings = services.settings
    app.add_middleware(BodyLimitMiddleware, json_limit=settings.server.max_body_bytes,
                       upload_limit=settings.server.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.login_limiter = RateLimiter(
        limit=settings.auth.login_rate_per_minute, window_s=60.0, clock=services.clock.monotonic
    )
    add_docs(app, signed_in=settings.environment != "development")
