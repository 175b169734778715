"""The fast paths of a match compute what the plain formulas compute (``hotlist.tables`` and the
probe of ``hotlist.index``): the memoised lattice columns, the probe keys without the change
enumeration, the pruned enumerations and the keys by arithmetic, each against a plain reference
on random reads (look-alikes, ties, uncovered and unhashable alternatives)."""

from __future__ import annotations

import math
import random

import pytest

from hotlist import lattice as lat
from hotlist.index import PlateIndex, _deletion_keys, canon_table, deletions, plate_key
from hotlist.tables import Columns, Tables
from rtcc.config import MatchSettings
from rtcc.plate_formats import ALPHABET, region_model

BG = region_model("us")
RULES = MatchSettings()
LOOKALIKES = lat.lookalike_map(RULES.confusion_groups)
LOOKS = "".join(RULES.confusion_groups)
PROBS = (0.9993, 0.5, 0.25, 0.002, 0.01, 0.9, 1e-5, 1e-12, 0.0)


def columns(size: int = 1 << 12) -> Columns:
    return Columns(
        LOOKALIKES,
        RULES.lattice_lookalike_floor,
        RULES.lattice_floor,
        canon_table(RULES.confusion_groups),
        size=size,
    )


def random_read(rng: random.Random) -> tuple[str, object, list[float] | None]:
    """A plate with per-character alternatives (sometimes not naming the character, sometimes
    lists) and confidences; many look-alikes and repeated probabilities (ties)."""
    plate = "".join(
        rng.choice(LOOKS if rng.random() < 0.5 else ALPHABET) for _ in range(rng.randint(1, 9))
    )
    alts = []
    for ch in plate:
        first = ch if rng.random() < 0.97 else rng.choice(ALPHABET)
        others = rng.sample(LOOKS if rng.random() < 0.5 else ALPHABET, rng.choice([0, 0, 1, 2]))
        probs = [rng.choice(PROBS) if rng.random() < 0.7 else round(rng.random(), 4) for _ in "..."]
        alts.append(tuple(zip([first, *others], probs, strict=False)))
    given: object = tuple(alts)
    if rng.random() < 0.1:
        given = [list(a) for a in alts]  # unhashable
    elif rng.random() < 0.1:
        given = None
    conf = [rng.choice([0.5, 0.97, 1.2, 0.0]) for _ in plate] if rng.random() < 0.4 else None
    return plate, given, conf


def test_columns_give_the_lattice_and_tables_of_the_plain_formulas() -> None:
    rng = random.Random(3)
    memo = columns(size=64)  # small: cleared many times over
    for _ in range(4000):
        plate, given, conf = random_read(rng)
        want = lat.lattice_of(plate, given, conf, LOOKALIKES, RULES.lattice_lookalike_floor)  # type: ignore[arg-type]
        got, tables = memo.read(plate, given, conf)  # type: ignore[arg-type]
        assert [list(d.items()) for d in got] == [list(d.items()) for d in want]
        plain = Tables(want, RULES.lattice_floor)
        for i in range(len(plate)):
            assert tables.logs[i] == plain.logs[i]
            assert tables.rest_log(i) == plain.rest_log(i)
            assert tables.raw_logs(i) == plain.raw_logs(i)
        other = "".join(rng.choice(ALPHABET) for _ in plate)
        assert tables.log_q(other) == plain.log_q(other)
        assert tables.change(plate, other) == plain.change(plate, other)
        for j in range(len(plate)):
            assert tables.log_q_without(other[1:], j) == plain.drop(j).log_q(other[1:])


@pytest.mark.parametrize("limit", [1, 5, 32, 60])
def test_probe_keys_without_the_enumeration_equal_the_enumerated_ones(limit: int) -> None:
    rng = random.Random(limit)
    rules = MatchSettings(lattice_max_paths=limit)
    index = PlateIndex(["ABC1234"], rules)
    memo, shortcut = columns(), 0
    for _ in range(3000):
        plate, given, conf = random_read(rng)
        if given is None or isinstance(given, list):
            continue
        lattice, tables = memo.read(plate, given, conf)  # type: ignore[arg-type]
        canon = plate.translate(index._table)
        _, best, changes = lat.substitutions(lattice, BG, -math.inf, limit)
        want = set(index._change_keys(best, changes)) | set(_deletion_keys(canon))
        got = index._few_change_keys(lattice, BG, tables)
        if got is not None:
            shortcut += 1
            assert got | set(_deletion_keys(canon)) == want
    assert shortcut > 500  # the shortcut is taken: the comparison is not vacuous


def _plain_changes(
    lattice: lat.Lattice, min_score: float, limit: int
) -> tuple[float, str, list[tuple[float, lat.Change]]]:
    """``substitutions`` enumerating every pair (no pruning)."""
    logs = BG.log_chars(len(lattice))
    cols = [
        sorted(((math.log(p) - lb[c], c) for c, p in d.items()), reverse=True)
        for d, lb in zip(lattice, logs, strict=True)
    ]
    top = sum(c[0][0] for c in cols)
    best = "".join(c[0][1] for c in cols)
    room = top - min_score
    if room < 0:
        return top, best, []
    singles = sorted(
        (c[0][0] - v, i, ch) for i, c in enumerate(cols) for v, ch in c[1:] if c[0][0] - v <= room
    )
    found: list[tuple[float, lat.Change]] = [(top - d, ((i, ch),)) for d, i, ch in singles]
    for a, (da, ia, ca) in enumerate(singles):
        for db, ib, cb in singles[a + 1 :]:
            if da + db > room:
                break
            if ia != ib:
                found.append((top - da - db, ((ia, ca), (ib, cb))))
    found.sort(key=lambda f: -f[0])
    return top, best, found[:limit]


def test_pruned_enumerations_keep_the_same_changes() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        lattice = tuple(
            dict(
                zip(
                    (chars := rng.sample(ALPHABET, rng.choice([1, 1, 2, 3, 5]))),
                    [rng.choice(PROBS[:-1]) for _ in chars],
                    strict=True,
                )
            )
            for _ in range(rng.randint(2, 9))
        )
        limit = rng.choice([-2, 0, 1, 3, 8, 32, 100])
        min_score = rng.choice([-math.inf, -20.0, -40.0])
        tables = Tables(lattice, RULES.lattice_floor) if rng.random() < 0.5 else None
        assert lat.substitutions(lattice, BG, min_score, limit, tables) == _plain_changes(
            lattice, min_score, limit
        )
        # likeliest is the same enumeration without the background, every pair, drop ascending
        plain = lat.likeliest(lattice, 10_000)
        assert lat.likeliest(lattice, abs(limit), tables) == plain[: abs(limit) + 1]


def test_deletion_keys_by_arithmetic_equal_the_keys_of_the_strings() -> None:
    rng = random.Random(9)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 11)))
        want = [plate_key(text), *(plate_key(d) for d in deletions(text) if d)]
        assert _deletion_keys(text) == want
