"""The signed gunshot and trailer sources the integration tests configure."""

from __future__ import annotations

from typing import Any

GUNSHOT_SOURCE = "shotspotter"
GUNSHOT_SECRET = "gunshot-secret-0123456789"
TRAILER_SOURCE = "trailers"
TRAILER_SECRET = "trailer-secret-0123456789"


def integration_settings(**extra: Any) -> dict[str, Any]:
    return {
        "gunshot": {"sources": {GUNSHOT_SOURCE: {"secret": GUNSHOT_SECRET}}},
        "trailer_sources": {TRAILER_SOURCE: {"secret": TRAILER_SECRET}},
        **extra,
    }
