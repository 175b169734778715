"""API bearer tokens: shown once, stored as SHA-256, expiring, revocable.

A token is issued to the caller themselves, or by an admin to a service account (an account
without a password); never to another person, who could then be impersonated.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth.sessions import digest
from rtcc.auth.users import get_user, username_key
from rtcc.errors import NotFoundError, PermissionDeniedError
from rtcc.models import ApiToken, User

PREFIX = "rtcc_"
TOUCH_EVERY_S = 60
DEFAULT_DAYS = 90
CLI_ROLE = "cli"  # the operator at the server's console (``rtcc users token``) may issue any


def _may_issue(actor: Actor, user: User) -> bool:
    if CLI_ROLE in actor.roles or "system" in actor.roles:
        return True
    if actor.username is not None and username_key(actor.username) == user.username_key:
        return True
    return user.password_hash is None  # a service account (token-only)


def issue(
    session: Session,
    *,
    username: str,
    now: datetime,
    actor: Actor,
    name: str | None = None,
    days: int = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for ``username`` valid ``days``; returns the row and the secret (not stored).

    PermissionDeniedError unless it is for the actor or for a service account.
    """
    user = get_user(session, username=username)
    if not _may_issue(actor, user):
        audit.record(session, now=now, actor=actor, action="token.issue", outcome="denied",
                     target=f"user:{user.username}", details={"reason": "not_self_or_service"})
        raise PermissionDeniedError(
            "tokens are issued only to yourself or to service accounts (no password)",
            field="username",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    row = ApiToken(user_id=user.id, token_hash=digest(secret), name=name, created_at=now,
                   last_used_at=None, revoked_at=None, expires_at=expires)
    session.add(row)
    session.flush()
    audit.record(session, now=now, actor=actor, action="token.issue",
                 target=f"user:{user.username}",
                 details={"token_id": row.id, "name": name,
                          "expires_at": expires.isoformat()})
    return row, secret


def revoke(session: Session, *, token_id: int, now: datetime, actor: Actor) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no token {token_id}", field="token_id")
    if row.revoked_at is None:
        row.revoked_at = now
    user = session.get(User, row.user_id)
    session.flush()
    audit.record(session, now=now, actor=actor, action="token.revoke",
                 target=f"user:{user.username if user else row.user_id}",
                 details={"token_id": token_id})
    return row


def list_tokens(session: Session, *, username: str) -> list[ApiToken]:
    user = get_user(session, username=username)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)))


def resolve(session: Session, *, secret: str, now: datetime) -> tuple[User, ApiToken] | None:
    """The user a live token belongs to and the token (its use recorded), or None."""
    found = live(session, secret=secret, now=now)
    if found is None:
        return None
    user, row = found
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= TOUCH_EVERY_S:
        row.last_used_at = now
        session.flush()
    return user, row


def live(session: Session, *, secret: str, now: datetime) -> tuple[User, ApiToken] | None:
    """Read-only: the user and token when the token is known, unrevoked, unexpired and its user
    enabled; else None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row


def token_summary(row: ApiToken) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }
