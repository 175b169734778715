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

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth.passwords import verify_password
from rtcc.auth.users import find_user
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
    reason: str  # ok | bad_credentials (unknown, locked and disabled answer alike)
    user: User | None = None
    cookie: str | None = None
    csrf_token: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """A login attempt counted before any password is checked (see :func:`begin_login`)."""

    username: str
    user_id: int | None
    ordinal: int  # this attempt's number since the last success or lockout; 0: not counted
    locked: bool  # decided before the password: locked, or over the attempt budget


def begin_login(session: Session, *, username: str, now: datetime, policy: Policy) -> Attempt:
    """Count the attempt atomically and decide the lockout before the password is looked at.

    One ``UPDATE … RETURNING`` increments the account's counter unless it is locked, so parallel
    guesses each get their own number: only the first ``lockout_attempts`` may check a password;
    the rest lock the account. The caller commits before :func:`finish_login`.
    """
    user = find_user(session, username=username)
    if user is None:
        return Attempt(username, None, 0, locked=False)
    ordinal = session.scalar(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.locked_until_at.is_(None), User.locked_until_at <= now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )
    if ordinal is None:  # locked already
        return Attempt(username, user.id, 0, locked=True)
    if ordinal > policy.lockout_attempts:
        # Over the budget in a burst: lock (and audit it, once) even when the attempt that
        # crossed the budget was the right password and reset the counter meanwhile.
        if _lock(session, user_id=user.id, now=now, policy=policy):
            _audit_lockout(session, user=user, now=now, policy=policy, source=None)
        return Attempt(username, user.id, ordinal, locked=True)
    return Attempt(username, user.id, ordinal, locked=False)


def _lock(session: Session, *, user_id: int, now: datetime, policy: Policy) -> bool:
    """Lock the account unless it is locked already; whether this call locked it."""
    result = session.execute(
        update(User)
        .where(User.id == user_id)
        .where(or_(User.locked_until_at.is_(None), User.locked_until_at <= now))
        .values(locked_until_at=now + policy.lockout, failed_logins=0)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _audit_lockout(
    session: Session, *, user: User, now: datetime, policy: Policy, source: str | None
) -> None:
    actor = Actor(username=user.username, roles=tuple(user.roles), source=source)
    audit.record(session, now=now, actor=actor, action="auth.lockout", outcome="denied",
                 target=f"user:{user.username}",
                 details={"until": (now + policy.lockout).isoformat()})


def finish_login(
    session: Session,
    *,
    attempt: Attempt,
    password: str,
    now: datetime,
    policy: Policy,
    source: str | None,
) -> LoginResult:
    """Check the password of a counted attempt and open a session; every outcome is audited.

    Unknown, locked and disabled accounts get the same answer (``bad_credentials``) after the
    same work; the audit trail keeps the real reason.
    """
    user = session.get(User, attempt.user_id, populate_existing=True) if attempt.user_id else None
    username = user.username if user is not None else attempt.username
    actor = Actor(username=username, roles=tuple(user.roles) if user else (), source=source)
    if user is None or attempt.locked:
        verify_password(None, password)  # the same time as any other attempt
        return _refused(session, actor=actor, now=now, reason="locked" if user else "unknown_user")
    good = verify_password(user.password_hash, password)
    if not good:
        if attempt.ordinal >= policy.lockout_attempts and _lock(
            session, user_id=user.id, now=now, policy=policy
        ):
            _audit_lockout(session, user=user, now=now, policy=policy, source=source)
        return _refused(session, actor=actor, now=now, reason="bad_credentials",
                        failed_logins=attempt.ordinal)
    if user.disabled:
        return _refused(session, actor=actor, now=now, reason="disabled")
    session.execute(  # a lock set meanwhile by an over-budget attempt of the burst stays
        update(User).where(User.id == user.id)
        .where(or_(User.locked_until_at.is_(None), User.locked_until_at <= now))
        .values(failed_logins=0, locked_until_at=None)
        .execution_options(synchronize_session=False)
    )
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    row = AuthSession(id=digest(cookie), user_id=user.id, csrf_token=csrf, source=source,
                      created_at=now, last_seen_at=now, ended_at=None)
    session.add(row)
    session.flush()
    actor = Actor(username, tuple(user.roles), source, credential=credential_of(row))
    audit.record(session, now=now, actor=actor, action="auth.login", target=f"user:{username}")
    return LoginResult(True, "ok", user=user, cookie=cookie, csrf_token=csrf)


def _refused(
    session: Session, *, actor: Actor, now: datetime, reason: str, **details: object
) -> LoginResult:
    outcome = "failure" if reason in ("bad_credentials", "unknown_user") else "denied"
    audit.record(session, now=now, actor=actor, action="auth.login", outcome=outcome,
                 target=f"user:{actor.username}", details={"reason": reason, **details})
    session.flush()
    return LoginResult(False, "bad_credentials")


def login(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    policy: Policy,
    source: str | None,
) -> LoginResult:
    """Both steps in the caller's transaction (scripts, tests); the API commits in between."""
    attempt = begin_login(session, username=username, now=now, policy=policy)
    return finish_login(session, attempt=attempt, password=password, now=now, policy=policy,
                        source=source)


def credential_of(row: AuthSession) -> str:
    """How the audit trail names a browser session: a prefix of its id (never the cookie)."""
    return f"session:{row.id[:16]}"


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


def live_user(session: Session, *, cookie: str, now: datetime, policy: Policy) -> User | None:
    """Read-only: the user of a session that has not ended or gone idle, if enabled; else None."""
    row = session.get(AuthSession, digest(cookie)) if cookie else None
    if row is None or row.ended_at is not None or now - row.last_seen_at > policy.idle:
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled else user


def csrf_ok(row: AuthSession, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(row.csrf_token, header)


def logout(session: Session, *, row: AuthSession, user: User, now: datetime, source: str | None
           ) -> None:
    row.ended_at = now
    session.flush()
    audit.record(session, now=now,
                 actor=Actor(user.username, tuple(user.roles), source, credential_of(row)),
                 action="auth.logout", target=f"user:{user.username}")
