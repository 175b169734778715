"""Password hashing with argon2id (argon2-cffi) and the password policy.

Nothing is hashed at import. The hashing profile is chosen once by the process that builds the
services (:func:`use_profile`): ``standard`` (RFC 9106 low-memory argon2id) everywhere real, or
``fast`` — a cheap argon2id that settings allow only in test and development. Verifying reads the
parameters from the stored hash, so either profile verifies the other's hashes.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rtcc.errors import InvalidInputError

Profile = Literal["standard", "fast"]
MAX_PASSWORD_LENGTH = 1024

_PROFILES: dict[str, tuple[int, int, int]] = {  # time_cost, memory_cost (KiB), parallelism
    "standard": (3, 65536, 4),  # argon2-cffi's defaults: RFC 9106 low-memory profile
    "fast": (1, 8, 1),
}
_state: dict[str, Profile] = {"profile": "standard"}
_dummy_lock = threading.Lock()
_dummies: dict[str, str] = {}


@cache
def _hasher(profile: str) -> PasswordHasher:
    time_cost, memory_cost, parallelism = _PROFILES[profile]
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def use_profile(profile: Profile) -> None:
    """Choose the hashing profile for new hashes in this process (see ``auth.password_hash``)."""
    if profile not in _PROFILES:
        raise ValueError(f"unknown password hash profile {profile!r}")
    _state["profile"] = profile


def _active() -> PasswordHasher:
    return _hasher(_state["profile"])


def _dummy_hash() -> str:
    """A real hash to verify against when the user does not exist (made on first use)."""
    profile = _state["profile"]
    with _dummy_lock:
        if profile not in _dummies:
            _dummies[profile] = _active().hash("not-a-real-password-0000")
        return _dummies[profile]


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (``rtcc/auth/data/common-passwords.txt``)."""
    text = resources.files("rtcc.auth").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip()
        and not line.startswith("#")
    )


def check_password_policy(password: str, *, min_length: int, username: str | None = None) -> None:
    """Refuse short, over-long, username-like, one-character and common passwords."""

    def refuse(message: str) -> InvalidInputError:
        return InvalidInputError(message, field="password")

    if len(password) < min_length:
        raise refuse(f"password must be at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise refuse(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    if "\x00" in password:
        raise refuse("password must not contain NUL characters")
    folded = password.casefold()
    if username is not None and username.casefold() in (folded, folded.strip()):
        raise refuse("password must not be the username")
    if len(set(folded)) == 1:
        raise refuse("password must not be one repeated character")
    if folded in common_passwords() or folded.strip() in common_passwords():
        raise refuse("password is on the list of commonly used passwords")


def hash_password(password: str) -> str:
    return _active().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; always spends one hash's time."""
    try:
        return _active().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _active().check_needs_rehash(stored)
