"""The ``signed`` permission: machine callers authenticated by a per-source HMAC signature
(``rtcc.integrations.signing``) instead of a user. A request carrying a user's credentials is
refused with 403 (these routes are not for people); a missing or bad signature is 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from rtcc.auth.roles import SIGNED
from rtcc.config import Settings, SignedSource
from rtcc.errors import InvalidInputError
from rtcc.integrations.signing import (
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TIMESTAMP_HEADER,
    Signed,
    verify,
)
from rtcc.runtime.services import Services
from web.security import SESSION_COOKIE

MAX_BODY_BYTES = 256 * 1024


def signed_by(sources: Callable[[Settings], dict[str, SignedSource]]) -> Callable[..., Any]:
    """A dependency that admits requests signed by one of ``sources(settings)``."""

    async def dependency(request: Request) -> Signed:
        if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
            raise HTTPException(
                403, "this route takes requests signed by a configured source, not user credentials"
            )
        services: Services = request.app.state.services
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise InvalidInputError(f"body: larger than {MAX_BODY_BYTES} bytes", field="body")
        settings = services.settings
        secrets = {name: src.secret.get_secret_value() for name, src in sources(settings).items()}
        return verify(
            secrets=secrets, source=request.headers.get(SOURCE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER), body=body,
            now=services.clock.now(), max_skew_s=settings.integrations.max_skew_s,
        )

    dependency.permission = SIGNED  # type: ignore[attr-defined]
    return dependency
