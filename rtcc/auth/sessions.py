"""Interactive login with lockout, browser sessions with idle expiry and CSRF tokens, logout.

The cookie carries a random secret; the database keeps only its SHA-256, so a copy of the
database does not let anyone ride a live session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth.passwords import verify_password
from rtcc.models import AuthSession, User

# Refresh last_seen_at at most this often (a write per request is wasteful).
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Policy:
    idle: timedelta
    lockout_attempts: int
    lockout: timedelta


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # ok | bad_credentials | locked | disabled
    user: User | None = None
    cookie: str | None = None
    csrf_token: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def login(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    policy: Policy,
    source: str | None,
) -> LoginResult:
    """Check a password, apply lockout, open a session; every outcome is audited (flush only)."""
    user = session.scalar(select(User).where(User.username == username))
    actor = Actor(username=username, roles=tuple(user.roles) if user else (), source=source)
    if user is not None and user.locked_until_at is not None and user.locked_until_at > now:
        verify_password(None, password)  # same time as any other attempt
        audit.record(session, now=now, actor=actor, action="auth.login", outcome="denied",
                     target=f"user:{username}", details={"reason": "locked"})
        return LoginResult(False, "locked")
    good = verify_password(user.password_hash if user else None, password)
    if user is None or not good:
        return _failed(session, user=user, actor=actor, now=now, policy=policy)
    if user.disabled:
        audit.record(session, now=now, actor=actor, action="auth.login", outcome="denied",
                     target=f"user:{username}", details={"reason": "disabled"})
        return LoginResult(False, "disabled")
    user.failed_logins = 0
    user.locked_until_at = None
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(AuthSession(id=digest(cookie), user_id=user.id, csrf_token=csrf, source=source,
                            created_at=now, last_seen_at=now, ended_at=None))
    session.flush()
    audit.record(session, now=now, actor=actor, action="auth.login", target=f"user:{username}")
    return LoginResult(True, "ok", user=user, cookie=cookie, csrf_token=csrf)


def _failed(
    session: Session, *, user: User | None, actor: Actor, now: datetime, policy: Policy
) -> LoginResult:
    details: dict[str, object] = {"reason": "bad_credentials" if user else "unknown_user"}
    if user is not None:
        user.failed_logins = (user.failed_logins or 0) + 1
        details["failed_logins"] = user.failed_logins
        if user.failed_logins >= policy.lockout_attempts:
            user.locked_until_at = now + policy.lockout
            user.failed_logins = 0
            audit.record(session, now=now, actor=actor, action="auth.lockout", outcome="denied",
                         target=f"user:{actor.username}",
                         details={"until": user.locked_until_at.isoformat()})
    audit.record(session, now=now, actor=actor, action="auth.login", outcome="failure",
                 target=f"user:{actor.username}", details=details)
    session.flush()
    return LoginResult(False, "bad_credentials")


def resolve(
    session: Session, *, cookie: str, now: datetime, policy: Policy
) -> tuple[User, AuthSession] | None:
    """The live session for a cookie (touching it), or None if unknown, ended, idle or disabled."""
    row = session.get(AuthSession, digest(cookie))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > policy.idle:
        row.ended_at = row.last_seen_at + policy.idle
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user, row


def csrf_ok(row: AuthSession, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(row.csrf_token, header)


def logout(session: Session, *, row: AuthSession, user: User, now: datetime, source: str | None
           ) -> None:
    row.ended_at = now
    session.flush()
    audit.record(session, now=now, actor=Actor(user.username, tuple(user.roles), source),
                 action="auth.logout", target=f"user:{user.username}")
