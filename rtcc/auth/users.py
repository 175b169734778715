"""User accounts: create, change roles and assignments, disable, set passwords (flush only)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.audit import Actor
from rtcc.auth.passwords import check_password_policy, hash_password
from rtcc.auth.roles import check_roles
from rtcc.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from rtcc.models import ApiToken, AuthSession, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
_SEPARATORS = str.maketrans("", "", "_.-")


def username_key(username: str) -> str:
    """What two usernames must not share: case, width and the separators ``_ . -`` ignored.

    ``Admin``, ``admin.``, ``ad-min`` and ``ＡＤＭＩＮ`` all give ``admin``.
    """
    return unicodedata.normalize("NFKC", username).strip().casefold().translate(_SEPARATORS)


def check_username(username: str) -> str:
    """The username as stored (NFKC, trimmed); InvalidInputError naming the field when bad."""
    name = unicodedata.normalize("NFKC", username).strip()
    if not USERNAME_RE.fullmatch(name) or not username_key(name):
        raise InvalidInputError(
            "username must be 1-100 letters, digits or _ . @ - (starting with a letter or digit)",
            field="username",
        )
    return name


def _roles(roles: Sequence[str]) -> list[str]:
    try:
        return list(check_roles(roles))
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="roles") from None


def find_user(session: Session, *, username: str) -> User | None:
    """The account a typed name means (case and look-alike separators ignored), or None."""
    if len(username) > 200:
        return None
    return session.scalar(select(User).where(User.username_key == username_key(username)))


def get_user(session: Session, *, username: str) -> User:
    user = find_user(session, username=username)
    if user is None:
        raise NotFoundError(f"no user {username!r}", field="username")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def user_summary(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "roles": list(user.roles or []),
        "cameras": user.cameras,
        "hotlists": user.hotlists,
        "disabled": user.disabled,
        "locked_until": user.locked_until_at.isoformat() if user.locked_until_at else None,
        "created_at": user.created_at.isoformat(),
    }


def create_user(
    session: Session,
    *,
    username: str,
    roles: Sequence[str],
    password: str | None,
    now: datetime,
    actor: Actor,
    min_password_length: int,
    cameras: Sequence[str] | None = None,
    hotlists: Sequence[int] | None = None,
) -> User:
    """A new account. ``password=None`` makes a token-only (service) account: no interactive
    login; API tokens can be issued to it by an admin."""
    username = check_username(username)
    role_list = _roles(roles)
    if password is not None:
        check_password_policy(password, min_length=min_password_length, username=username)
    existing = find_user(session, username=username)
    if existing is not None:
        raise ConflictError(
            f"user {username!r} already exists or looks like {existing.username!r}",
            field="username",
        )
    user = User(
        username=username,
        username_key=username_key(username),
        password_hash=hash_password(password) if password is not None else None,
        roles=role_list,
        cameras=list(cameras) if cameras is not None else None,
        hotlists=list(hotlists) if hotlists is not None else None,
        disabled=False,
        failed_logins=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="user.create", target=f"user:{username}",
        details={"roles": role_list, "cameras": user.cameras, "hotlists": user.hotlists,
                 "password_set": password is not None},
    )
    return user


def update_user(
    session: Session,
    *,
    username: str,
    now: datetime,
    actor: Actor,
    changes: dict[str, Any],
) -> User:
    """Apply ``roles``/``cameras``/``hotlists``/``disabled`` changes; audits old and new values.

    Nobody changes their own roles or assignments (PermissionDeniedError).
    """
    user = get_user(session, username=username)
    if actor.username is not None and username_key(actor.username) == user.username_key and (
        {"roles", "cameras", "hotlists"} & set(changes)
    ):
        raise PermissionDeniedError("you cannot change your own roles or assignments",
                                    field="roles")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "roles":
            value = _roles(value)
        elif key in ("cameras", "hotlists"):
            value = list(value) if value is not None else None
        elif key == "disabled":
            value = bool(value)
        else:
            raise InvalidInputError(f"cannot change {key!r}", field=key)
        before[key] = getattr(user, key)
        after[key] = value
        setattr(user, key, value)
    if after.get("disabled"):
        _end_sessions(session, user_id=user.id, now=now)
        revoke_tokens(session, user_id=user.id, now=now)
    if after.get("disabled") is False:
        user.failed_logins = 0
        user.locked_until_at = None
    user.updated_at = now
    session.flush()
    action = "user.disable" if after.get("disabled") else "user.update"
    audit.record(
        session, now=now, actor=actor, action=action, target=f"user:{username}",
        details={"before": before, "after": after},
    )
    return user


def set_password(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    actor: Actor,
    min_password_length: int,
) -> User:
    user = get_user(session, username=username)
    check_password_policy(password, min_length=min_password_length, username=user.username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until_at = None
    user.updated_at = now
    _end_sessions(session, user_id=user.id, now=now)
    revoked = revoke_tokens(session, user_id=user.id, now=now)
    session.flush()
    audit.record(session, now=now, actor=actor, action="user.password",
                 target=f"user:{user.username}", details={"tokens_revoked": revoked})
    return user


def _end_sessions(session: Session, *, user_id: int, now: datetime) -> None:
    for row in session.scalars(
        select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
    ):
        row.ended_at = now


def revoke_tokens(session: Session, *, user_id: int, now: datetime) -> int:
    """Revoke every live API token of a user (password change, disable); returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
