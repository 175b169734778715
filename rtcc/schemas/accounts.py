"""Accounts, API tokens and sign-in answers."""

from __future__ import annotations

from rtcc.schemas.common import Page, ReadModel, UtcDatetime
from rtcc.vocab import Permission, Role


class UserOut(ReadModel):
    username: str
    roles: list[Role]
    cameras: list[str] | None  # assigned cameras; null = all
    hotlists: list[int] | None  # assigned lists; null = all unrestricted
    disabled: bool
    locked_until: UtcDatetime | None
    created_at: UtcDatetime


class TokenOut(ReadModel):
    id: int
    name: str | None
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None
    expires_at: UtcDatetime | None = None


class NewTokenOut(TokenOut):
    token: str  # shown once


class PasswordSetOut(ReadModel):
    status: str
    username: str


class LoginOut(ReadModel):
    username: str
    roles: list[Role]
    csrf_token: str | None


class LogoutOut(ReadModel):
    status: str


class MeOut(ReadModel):
    username: str
    roles: list[Role]
    permissions: list[Permission]
    cameras: list[str] | None
    hotlists: list[int] | None
    via: str  # session | token
    csrf_token: str | None


class UserPage(Page[UserOut]):
    """Every account."""


class TokenPage(Page[TokenOut]):
    """One account's API tokens (never their secrets)."""
