"""Password hashing with argon2id (argon2-cffi) and the minimum-length policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rtcc.errors import InvalidInputError

_HASHER = PasswordHasher()  # argon2id, RFC 9106 "low memory" profile
# A real hash to verify against when the user does not exist, so timing does not reveal it.
_DUMMY = _HASHER.hash("not-a-real-password-0000")

MAX_PASSWORD_LENGTH = 1024


def check_password_policy(password: str, *, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidInputError(
            f"password must be at least {min_length} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password must be at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; always spends one hash's time."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
