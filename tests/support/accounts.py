"""Test accounts: the one password every test account has, and creating one directly."""

from __future__ import annotations

from collections.abc import Sequence

from rtcc.audit import SYSTEM
from rtcc.auth import users
from rtcc.runtime.services import Services

TEST_PASSWORD = "correct horse battery staple"


def add_user(services: Services, username: str, roles: Sequence[str]) -> None:
    """Create ``username`` with ``roles`` and :data:`TEST_PASSWORD` (committed)."""
    with services.sessions() as session:
        users.create_user(
            session,
            username=username,
            roles=list(roles),
            password=TEST_PASSWORD,
            now=services.clock.now(),
            actor=SYSTEM,
            min_password_length=services.settings.auth.min_password_length,
        )
        session.commit()
