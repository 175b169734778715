"""API bearer tokens: issued by an admin, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth.sessions import digest
from rtcc.auth.users import get_user
from rtcc.errors import NotFoundError
from rtcc.models import ApiToken, User

PREFIX = "rtcc_"
TOUCH_EVERY_S = 60


def issue(
    session: Session, *, username: str, now: datetime, actor: Actor, name: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``username``; returns the row and the secret (never stored)."""
    user = get_user(session, username=username)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=digest(secret), name=name, created_at=now,
                   last_used_at=None, revoked_at=None)
    session.add(row)
    session.flush()
    audit.record(session, now=now, actor=actor, action="token.issue", target=f"user:{username}",
                 details={"token_id": row.id, "name": name})
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


def resolve(session: Session, *, secret: str, now: datetime) -> User | None:
    """The user a live token belongs to, or None (unknown, revoked or disabled user)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= TOUCH_EVERY_S:
        row.last_used_at = now
        session.flush()
    return user


def token_summary(row: ApiToken) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }
