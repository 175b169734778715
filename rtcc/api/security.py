"""Authentication and permissions for every route.

Every route declares its permission with ``Depends(require("perm"))`` (or ``public()``).
PLACEHOLDER until issue 6 lands: ``require`` only records the permission on the route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PERMISSIONS = {
    "public",
    "cameras:view",
    "video:live",
    "video:segments",
    "reads:live",
    "reads:search",
    "reads:view",
    "hits:view",
    "hits:act",
    "hotlists:view",
    "hotlists:manage",
    "holds:manage",
    "retention:view",
    "retention:run",
    "audit:view",
    "users:manage",
    "config:view",
}


def require(permission: str) -> Callable[..., Any]:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency() -> None:
        return None

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
