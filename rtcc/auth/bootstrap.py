"""The first administrator: created once from settings when there are no accounts at all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rtcc.audit import SYSTEM
from rtcc.auth.users import count_users, create_user
from rtcc.config import AuthSettings
from rtcc.models import User


def bootstrap_admin(session: Session, *, auth: AuthSettings, now: datetime) -> User | None:
    """Create ``auth.bootstrap_admin`` if set and the user table is empty (flush only)."""
    if not auth.bootstrap_admin or auth.bootstrap_password is None:
        return None
    if count_users(session) > 0:
        return None
    return create_user(
        session,
        username=auth.bootstrap_admin,
        roles=["admin"],
        password=auth.bootstrap_password.get_secret_value(),
        now=now,
        actor=SYSTEM,
        min_password_length=auth.min_password_length,
    )
