"""Signed requests between systems: ``X-Rtcc-Signature`` is the hex HMAC-SHA256 of
``<X-Rtcc-Timestamp>.<raw body>`` under the source's shared secret.

:func:`verify` checks a request's headers without the database (unknown source, bad signature,
a timestamp outside the window); the replay of an accepted signature is refused by
:func:`remember`, which stores it in the caller's transaction (unique key, so two racing
copies cannot both be accepted) and survives restarts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rtcc.errors import AuthenticationError
from rtcc.models import SignatureSeen

SOURCE_HEADER = "X-Rtcc-Source"
TIMESTAMP_HEADER = "X-Rtcc-Timestamp"
SIGNATURE_HEADER = "X-Rtcc-Signature"


class SignatureError(AuthenticationError):
    code = "bad_signature"


class ReplayError(AuthenticationError):
    code = "replay"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(source: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a signed request (used for outbound webhooks and in tests)."""
    return {
        SOURCE_HEADER: source,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out (not yet checked for replay)."""

    source: str
    signed_at: datetime
    signature: str
    body: bytes


def verify(
    *,
    secrets: dict[str, str],
    source: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    max_skew_s: float,
) -> Signed:
    """Check the headers of a signed request; raises :class:`SignatureError` or
    :class:`ReplayError` (both 401) naming what is wrong."""
    if not source or not timestamp or not signature:
        missing = [
            name for name, value in ((SOURCE_HEADER, source), (TIMESTAMP_HEADER, timestamp),
                                     (SIGNATURE_HEADER, signature)) if not value
        ]
        raise SignatureError(f"unsigned request: missing {', '.join(missing)}")
    secret = secrets.get(source)
    if secret is None:
        raise SignatureError(f"unknown source {source[:64]!r}")
    try:
        seconds = int(timestamp)
        signed_at = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError(f"{TIMESTAMP_HEADER}: not unix seconds") from None
    expected = sign(secret, seconds, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureError("signature does not match the body and timestamp")
    if abs((now - signed_at).total_seconds()) > max_skew_s:
        raise ReplayError(
            f"timestamp {seconds} is more than {max_skew_s:.0f} s from the server's clock"
        )
    return Signed(source=source, signed_at=signed_at, signature=expected, body=body)


def remember(session: Session, signed: Signed, *, now: datetime, max_skew_s: float) -> None:
    """Record the signature (flushes); raises :class:`ReplayError` if it was seen before.

    Signatures older than twice the window are dropped: their timestamps are refused anyway.
    """
    session.execute(
        delete(SignatureSeen)
        .where(SignatureSeen.signed_at < now - timedelta(seconds=2 * max_skew_s))
    )
    if session.get(SignatureSeen, signed.signature) is not None:
        raise ReplayError("this signed request was already received (replay)")
    session.add(SignatureSeen(signature=signed.signature, source=signed.source,
                              signed_at=signed.signed_at, received_at=now))
    try:
        session.flush()  # a copy racing this one trips the primary key
    except IntegrityError:
        raise ReplayError("this signed request was already received (replay)") from None
