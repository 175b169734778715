"""HMAC signatures of ``<timestamp>.<body>``: the pure check, and replays refused via the table."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from rtcc.integrations.signing import (
    ReplayError,
    SignatureError,
    remember,
    sign,
    signed_headers,
    verify,
)
from rtcc.runtime.services import Services

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
SECRETS = {"src": "s3cret-s3cret-s3cret"}
BODY = b'{"id":"A1"}'


def check(*, source: str | None = "src", ts: str | None = str(TS), sig: str | None = None,
          body: bytes = BODY, now: datetime = NOW) -> object:
    signature = sig if sig is not None else sign(SECRETS["src"], TS, BODY)
    return verify(secrets=SECRETS, source=source, timestamp=ts, signature=signature, body=body,
                  now=now, max_skew_s=300)


def test_signature_is_hex_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret-s3cret-s3cret", f"{TS}.".encode() + BODY,
                        hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", TS, BODY) == expected
    headers = signed_headers("src", "s3cret-s3cret-s3cret", TS, BODY)
    assert headers == {"X-Rtcc-Source": "src", "X-Rtcc-Timestamp": str(TS),
                       "X-Rtcc-Signature": expected}


def test_good_signature_passes_and_upper_case_hex_is_accepted() -> None:
    ok = check()
    assert getattr(ok, "source") == "src" and getattr(ok, "signed_at") == NOW  # noqa: B009
    check(sig=sign(SECRETS["src"], TS, BODY).upper())


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"source": None}, SignatureError, "X-Rtcc-Source"),
    ({"ts": None}, SignatureError, "X-Rtcc-Timestamp"),
    ({"sig": ""}, SignatureError, "X-Rtcc-Signature"),
    ({"source": "other"}, SignatureError, "unknown source"),
    ({"ts": "yesterday"}, SignatureError, "unix seconds"),
    ({"body": b'{"id":"A2"}'}, SignatureError, "does not match"),
    ({"ts": str(TS + 1)}, SignatureError, "does not match"),
    ({"now": NOW + timedelta(seconds=301)}, ReplayError, "more than 300 s"),
    ({"now": NOW - timedelta(seconds=301)}, ReplayError, "more than 300 s"),
])
def test_bad_requests_are_refused(kwargs: dict[str, object], error: type, words: str) -> None:
    with pytest.raises(error, match=words) as info:
        check(**kwargs)  # type: ignore[arg-type]
    assert info.value.status_code == 401


def test_window_edges_are_inclusive() -> None:
    check(now=NOW + timedelta(seconds=300))
    check(now=NOW - timedelta(seconds=300))


def test_remember_refuses_a_seen_signature_and_forgets_old_ones(services: Services) -> None:
    signed = verify(secrets=SECRETS, source="src", timestamp=str(TS),
                    signature=sign(SECRETS["src"], TS, BODY), body=BODY, now=NOW, max_skew_s=300)
    with services.sessions() as s:
        remember(s, signed, now=NOW, max_skew_s=300)
        s.commit()
    with services.sessions() as s, pytest.raises(ReplayError):
        remember(s, signed, now=NOW + timedelta(seconds=10), max_skew_s=300)
    # Ten minutes later the signature's timestamp is refused anyway: the row is dropped.
    later = NOW + timedelta(seconds=601)
    ts2 = int(later.timestamp())
    other = verify(secrets=SECRETS, source="src", timestamp=str(ts2),
                   signature=sign(SECRETS["src"], ts2, BODY), body=BODY, now=later,
                   max_skew_s=300)
    with services.sessions() as s:
        remember(s, other, now=later, max_skew_s=300)
        s.commit()
        from sqlalchemy import select

        from rtcc.models import SignatureSeen

        assert list(s.scalars(select(SignatureSeen.signature))) == [other.signature]
