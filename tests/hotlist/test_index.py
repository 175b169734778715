"""``hotlist.index``: the key filter in front of the binary search never loses a key."""

from __future__ import annotations

import random

import numpy as np

from hotlist.index import KeyFilter, plate_key


def test_key_filter_keeps_every_indexed_key_and_drops_most_others() -> None:
    rng = random.Random(5)
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    texts = {"".join(rng.choice(alnum) for _ in range(rng.randint(5, 8))) for _ in range(20_000)}
    keys = np.array(sorted(plate_key(t) for t in texts), dtype=np.int64)
    filt = KeyFilter(keys)
    listed = keys.tolist()
    known = set(listed)
    assert filt.maybe(listed) == listed
    others = [
        k
        for k in (plate_key("".join(rng.choice(alnum) for _ in range(7))) for _ in range(20_000))
        if k not in known
    ]
    passed = len(filt.maybe(others))
    assert passed < 0.15 * len(others)  # ~1 in 16 at 16 bits per key


def test_key_filter_of_an_empty_index_passes_nothing() -> None:
    assert KeyFilter(np.empty(0, np.int64)).maybe([plate_key("ABC123")]) == []
