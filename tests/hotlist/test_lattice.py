"""Scoring hotlist plates on a read's OCR lattice (``hotlist.lattice``) and the index using it."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from hotlist import lattice as lat
from hotlist.matcher import EntryRef, HotlistIndex, ListRef
from rtcc.config import MatchSettings
from rtcc.plates import CharAlternatives

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STOLEN = ListRef(1, "stolen", priority=90)
BG = lat.region_background("us")
FLOOR = MatchSettings().lattice_floor


def sure(text: str, p: float = 0.99) -> CharAlternatives:
    """A lattice sure of every character of ``text``."""
    return tuple(((ch, p),) for ch in text)


def with_doubt(text: str, pos: int, alts: tuple[tuple[str, float], ...]) -> CharAlternatives:
    lattice = list(sure(text))
    lattice[pos] = alts
    return tuple(lattice)


def index(*plates: str, filler: int = 0, **rules: object) -> HotlistIndex:
    rng = random.Random(5)
    extra = {
        "".join(rng.choice(lat.LETTERS) for _ in range(3))
        + "".join(rng.choice(lat.DIGITS) for _ in range(4))
        for _ in range(filler)
    } - set(plates)
    entries = [EntryRef(i + 1, STOLEN, p) for i, p in enumerate([*plates, *sorted(extra)])]
    return HotlistIndex(entries, MatchSettings(**{"lattice": True, **rules}))  # type: ignore[arg-type]


def test_background_follows_the_formats() -> None:
    bg = lat.background_from_patterns(["@@@####", "#@@@###"])
    shares = bg.letter_share[7]
    assert shares[1] == pytest.approx(0.9 + 0.1 * 26 / 36)  # a letter in both formats
    assert shares[6] == pytest.approx(0.1 * 26 / 36)  # a digit in both
    assert bg.prob(7, 6, "5") > bg.prob(7, 6, "Q")
    assert bg.prob(9, 0, "A") == pytest.approx(1 / 36)  # no format of that length: uniform
    fits = 0.1 * 36.0**-7 + 0.9 * 0.5 * 26.0**-3 * 10.0**-4  # one of the two formats
    assert bg.log_prob_plate("ABC1234") == pytest.approx(math.log(fits))


def test_score_rewards_the_read_and_punishes_characters_outside_top_k() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    assert lattice is not None
    exact = lat.score("ABCO123", lattice, BG, FLOOR)
    alt = lat.score("ABC0123", lattice, BG, FLOOR)
    other = lat.score("ABCX123", lattice, BG, FLOOR)
    assert exact > alt > other
    assert exact - alt == pytest.approx(
        math.log(0.6 / 0.35) - BG.log_prob_plate("ABCO123") + BG.log_prob_plate("ABC0123")
    )
    # A plate that fits a common format is likelier at random than one that fits none.
    assert BG.log_prob_plate("ABC1234") > BG.log_prob_plate("A1B2C3D")
    assert lat.score("ABC012", lattice, BG, FLOOR) == -math.inf


def test_lattice_must_cover_the_text() -> None:
    assert lat.lattice_of("ABC", sure("ABD")) is None
    assert lat.lattice_of("ABC", sure("AB")) is None
    assert lat.lattice_of("ABC", ()) is None


def test_paths_are_best_first_and_bounded() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    assert lattice is not None
    found = lat.paths(lattice, BG, -math.inf, 10)
    assert [p for _, p in found] == ["ABCO123", "ABC0123"]
    assert found[0][0] >= found[1][0]
    assert lat.paths(lattice, BG, found[0][0] - 1e-9, 10) == found[:1]


def test_threshold_grows_with_the_list_and_a_stricter_target() -> None:
    assert lat.threshold(1_000_000, 1000, 0.1) == pytest.approx(math.log(1e8))
    assert lat.threshold(1_000_000, 100, 0.1) > lat.threshold(1_000_000, 1000, 0.1)
    assert lat.threshold(1_000, 1000, 0.1) < lat.threshold(1_000_000, 1000, 0.1)


def test_o_zero_confusion_in_the_alternatives_matches_on_a_big_list() -> None:
    ix = index("ABC0123", filler=20_000)
    read = with_doubt("ABCO123", 3, (("O", 0.55), ("0", 0.4), ("D", 0.03)))
    (m,) = ix.match("ABCO123", state=None, now=NOW, alternatives=read)
    assert (m.entry.plate, m.match_type, m.diff) == ("ABC0123", "lattice", ((3, "O", "0"),))
    assert m.llr is not None and m.needs_confirmation


def test_same_substitution_without_it_in_the_alternatives_does_not_match() -> None:
    ix = index("ABC0123", filler=20_000)
    read = with_doubt("ABCO123", 3, (("O", 0.97), ("D", 0.02)))
    assert ix.match("ABCO123", state=None, now=NOW, alternatives=read) == []


def test_exact_read_always_matches_and_records_its_score() -> None:
    ix = index("ABC1234", filler=1_000)
    (m,) = ix.match("ABC1234", state=None, now=NOW, alternatives=sure("ABC1234", 0.5))
    assert m.match_type == "exact" and m.llr is not None and not m.needs_confirmation


def test_random_plates_do_not_match() -> None:
    ix = index(filler=20_000)
    rng = random.Random(9)
    false = 0
    for _ in range(300):
        text = "".join(rng.choice(lat.LETTERS) for _ in range(3)) + "".join(
            rng.choice(lat.DIGITS) for _ in range(4)
        )
        pos = rng.randrange(7)
        second = rng.choice([c for c in lat.ALPHABET if c != text[pos]])
        read = with_doubt(text, pos, ((text[pos], 0.6), (second, 0.35)))
        found = ix.match(text, state=None, now=NOW, alternatives=read)
        false += any(m.match_type != "exact" for m in found)
    assert false <= 3


def test_threshold_decides_an_inexact_hit() -> None:
    read = with_doubt("ABCO123", 3, (("O", 0.9), ("0", 0.08)))
    lattice = lat.lattice_of("ABCO123", read)
    assert lattice is not None
    llr = lat.score("ABC0123", lattice, BG, FLOOR)
    # The same read and entry pass or fail by the configured false-hit target alone.
    mass = lat.off_top_mass(lattice)
    assert mass == pytest.approx(1 - 0.9 * 0.99**6)
    loose = 1e6 * mass / math.exp(llr - 0.5)  # threshold just below the score (per million)
    strict = 1e6 * mass / math.exp(llr + 0.5)
    for target, hits in ((loose, 1), (strict, 0)):
        ix = index("ABC0123", lattice_false_hits_per_million=target)
        found = HotlistIndex.match(ix, "ABCO123", state=None, now=NOW, alternatives=read)
        assert len(found) == hits, target


def test_reads_without_a_lattice_keep_the_look_alike_rules() -> None:
    ix = index("ABC0123")
    (m,) = ix.match("ABCO123", state=None, now=NOW)
    assert m.match_type == "confusable" and m.llr is None


def test_exact_read_matches_when_an_alternative_is_likelier_under_the_background() -> None:
    # At the last position a digit is far likelier than a letter, so "ABC123Z" is not the best
    # string through the lattice; the read itself must still be looked up.
    read = with_doubt("ABC123Z", 6, (("Z", 0.5), ("2", 0.45)))
    (m,) = index("ABC123Z", filler=1_000).match("ABC123Z", state=None, now=NOW, alternatives=read)
    assert m.match_type == "exact"


def test_probe_keys_by_arithmetic_equal_the_keys_of_the_strings() -> None:
    from hotlist.index import PlateIndex, plate_key

    ix = PlateIndex(["ABC0123"], MatchSettings())
    lattice = lat.lattice_of(
        "ABCO123", with_doubt("ABCO123", 3, (("O", 0.5), ("0", 0.3), ("Q", 0.1)))
    )
    assert lattice is not None
    _, best, changes = lat.substitutions(lattice, BG, -math.inf, 50)
    strings = [s for _, s in lat.paths(lattice, BG, -math.inf, 51)]
    table = ix._table
    assert ix._change_keys(best, changes) == [plate_key(s.translate(table)) for s in strings]
