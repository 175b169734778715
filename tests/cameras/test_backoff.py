from __future__ import annotations

import random

import pytest

from cameras.backoff import Backoff


def test_delays_grow_exponentially_with_jitter_and_cap() -> None:
    b = Backoff(base_s=1.0, cap_s=30.0, rng=random.Random(3))
    delays = [b.next() for _ in range(10)]
    for i, d in enumerate(delays):
        top = min(30.0, 2.0**i)
        assert top / 2 <= d <= top
    assert max(delays) <= 30.0 and delays[-1] >= 15.0
    assert len({round(d, 6) for d in delays[6:]}) > 1  # jitter: capped delays still differ


def test_reset_starts_again_small() -> None:
    b = Backoff(base_s=1.0, cap_s=8.0, rng=random.Random(1))
    for _ in range(6):
        b.next()
    b.reset()
    assert b.next() <= 1.0


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(base_s=5, cap_s=1)
