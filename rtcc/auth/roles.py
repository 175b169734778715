"""Roles and the permission matrix. A permission names what a route lets its caller do."""

from __future__ import annotations

from collections.abc import Iterable

from rtcc.vocab import Permission

PUBLIC = "public"
SELF = "self"  # any signed-in user: their own account, logout
# Machine callers (gunshot detection, trailer positions) authenticated by a per-source HMAC
# signature, not a user: no role holds it, and a user's credentials are refused (403).
SIGNED = "signed"

# Every permission, from the one vocabulary (``rtcc.vocab.Permission``).
PERMISSIONS: frozenset[str] = frozenset(p.value for p in Permission)

_INVESTIGATE = {
    "cameras:view", "video:live", "video:segments", "reads:live", "reads:search", "reads:view",
    "hits:view", "hits:act", "hotlists:view", "gunshots:view", "gunshots:act",
    "evidence:export",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"users:manage", "config:view", "cameras:view", "hotlists:view", "retention:view",
         "retention:run", "cameras:manage"}
    ),
    "supervisor": frozenset(
        _INVESTIGATE | {"hotlists:manage", "holds:manage", "retention:view", "retention:run"}
        | {"transparency:view", "transparency:edit", "oversight:alerts"}
    ),
    "detective": frozenset(_INVESTIGATE),
    "officer": frozenset(
        {"cameras:view", "reads:live", "hits:view", "hits:act", "hotlists:view", "gunshots:view"}
    ),
    "auditor": frozenset({"audit:view", "retention:view", "config:view", "cameras:view",
                          "transparency:view", "transparency:edit", "oversight:review",
                          "oversight:alerts"}),
}

ROLE_PERMISSIONS = {role: perms | {SELF} for role, perms in ROLE_PERMISSIONS.items()}

ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)

# Roles whose view of live hits and reads is limited to their assigned cameras and lists.
ASSIGNED_ROLES = frozenset({"officer"})


def permissions_of(roles: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for role in roles:
        out |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(out)


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles, validated and de-duplicated in a stable order; ValueError on an unknown one."""
    given = list(roles)
    unknown = [r for r in given if r not in ROLE_PERMISSIONS]
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise ValueError(f"unknown role(s) {names}; known: {', '.join(ROLES)}")
    if not given:
        raise ValueError("at least one role is required")
    return tuple(r for r in ROLES if r in given)
