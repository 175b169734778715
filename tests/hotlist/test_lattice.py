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


def policy(**kw: float) -> lat.Policy:
    base = {"entries": 1_000_000, "false_hits_per_million": 3500.0, "min_posterior": 0.001}
    args = base | kw
    return lat.Policy(
        int(args["entries"]), args["false_hits_per_million"], args["min_posterior"], FLOOR, 32
    )


def test_likeliest_strings_follow_the_lattice_alone() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    assert lattice is not None
    found = lat.likeliest(lattice, 3)
    assert found == ["ABCO123", "ABC0123"]  # the sure positions offer nothing else


def test_lookalikes_get_a_floor_the_ocr_did_not_give_them() -> None:
    groups = lat.lookalike_map(["O0QD", "B8"])
    assert groups["0"] == "OQD" and groups["8"] == "B"
    lattice = lat.lattice_of("A8C", sure("A8C"), groups, 0.002)
    assert lattice is not None
    assert lattice[1] == {"8": 0.99, "B": 0.002} and lattice[0] == {"A": 0.99}


def test_a_read_that_fits_no_format_gives_its_formatted_neighbour_the_posterior() -> None:
    # A sure "A8C1234" fits no US format; "ABC1234" does: the neighbour takes a real share of
    # the posterior and risks little, so it is accepted; the look-alike floor raises its share.
    read = sure("A8C1234", 0.999)
    lattice = lat.lattice_of("A8C1234", read, lat.lookalike_map(["B8"]), 0.002)
    bare = lat.lattice_of("A8C1234", read)
    assert lattice is not None and bare is not None
    found = lat.accepted("A8C1234", lattice, BG, policy(), ["ABC1234"])
    assert list(found) == ["ABC1234"] and 0.01 < found["ABC1234"] < 1
    without = lat.accepted("A8C1234", bare, BG, policy(), ["ABC1234"])
    assert without.get("ABC1234", 0.0) < found["ABC1234"] / 5
    # The same substitution between two strings that fit formats gets almost nothing.
    formatted = lat.lattice_of("ABC1234", sure("ABC1234", 0.999), lat.lookalike_map(["B8"]), 0.002)
    assert formatted is not None
    assert lat.accepted("ABC1234", formatted, BG, policy(), ["A8C1234"]) == {}


def test_a_doubt_between_two_formatted_plates_is_risky_on_a_big_list() -> None:
    read = with_doubt("ABC123", 3, (("1", 0.6), ("I", 0.35)))  # ABC123 and ABCI23 both fit
    lattice = lat.lattice_of("ABC123", read)
    assert lattice is not None
    post = lat.accepted("ABC123", lattice, BG, policy(entries=1), ["ABCI23"])["ABCI23"]
    assert 0.1 < post < 0.5
    risk = (1 - post) * 1_000_000 * math.exp(BG.log_prob_plate("ABCI23"))
    assert 1000 / 1e6 < risk < 3500 / 1e6
    assert (
        lat.accepted("ABC123", lattice, BG, policy(false_hits_per_million=1000), ["ABCI23"]) == {}
    )
    assert list(lat.accepted("ABC123", lattice, BG, policy(), ["ABCI23"])) == ["ABCI23"]


def test_budget_and_minimum_posterior_decide_an_inexact_hit() -> None:
    read = with_doubt("ABCO123", 3, (("O", 0.9), ("0", 0.08)))
    lattice = lat.lattice_of("ABCO123", read)
    assert lattice is not None
    (post,) = lat.accepted("ABCO123", lattice, BG, policy(entries=1), ["ABC0123"]).values()
    risk = (1 - post) * 1e6 * math.exp(BG.log_prob_plate("ABC0123"))  # per read, N = 1e6
    for target, hits in ((risk * 1e6 * 1.01, 1), (risk * 1e6 * 0.99, 0)):
        got = lat.accepted(
            "ABCO123", lattice, BG, policy(false_hits_per_million=target), ["ABC0123"]
        )
        assert len(got) == hits, target
    strict = policy(entries=1, min_posterior=post * 1.01)
    assert lat.accepted("ABCO123", lattice, BG, strict, ["ABC0123"]) == {}


def test_o_zero_confusion_in_the_alternatives_matches_on_a_big_list() -> None:
    ix = index("ABC0123", filler=20_000)
    read = with_doubt("ABCO123", 3, (("O", 0.55), ("0", 0.4), ("D", 0.03)))
    (m,) = ix.match("ABCO123", state=None, now=NOW, alternatives=read)
    assert (m.entry.plate, m.match_type, m.diff) == ("ABC0123", "lattice", ((3, "O", "0"),))
    assert m.llr is not None and m.needs_confirmation


def test_substitution_the_lattice_does_not_support_does_not_match() -> None:
    read = with_doubt("ABCO123", 3, (("O", 0.97), ("D", 0.02)))
    # 0 is a look-alike of O: its floor alone makes a hit on a small list...
    (m,) = index("ABC0123", filler=20_000).match("ABCO123", state=None, now=NOW, alternatives=read)
    assert m.match_type == "lattice"
    # ...but not with the OCR's probabilities alone, nor for a character that is no look-alike.
    bare = index("ABC0123", filler=20_000, lattice_lookalike_floor=0.0)
    assert bare.match("ABCO123", state=None, now=NOW, alternatives=read) == []
    other = index("ABCX123", filler=20_000)
    assert other.match("ABCO123", state=None, now=NOW, alternatives=read) == []


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


def test_the_region_on_the_read_picks_the_background() -> None:
    assert lat.background_code("United States", "us") == "us"  # the OCR's label
    assert lat.background_code("United Kingdom", "us") == "gb"
    assert lat.background_code("nl", "us") == "nl"  # a region code
    assert lat.background_code("CA", "gb") == "us"  # a US state code
    assert lat.background_code(None, "us") == "us"  # no region: the configured one
    assert lat.background_code(" ", "nl") == "nl"
    # A region without format rules, or one the OCR does not know: no region's formats.
    for region in ("Canada", "Unknown", "ON", "Georgia"):
        assert lat.background_code(region, "us") == lat.GENERIC, region
    generic = lat.background_for("Canada", "us")
    assert generic.log_prob_plate("25810X") == pytest.approx(-6 * math.log(36))
    assert generic.log_prob_plate("Z581DX") == generic.log_prob_plate("25810X")
    assert lat.background_for("United States", "gb") is BG


# A Canadian plate 25810X as the development set's OCR read it: a sure D (the lattice's own
# probabilities, rounded). Under the US formats "Z581DX" (and 2581DX itself) explain the read
# better than the entry does; in Canada, where we have no format rules, the look-alike floor
# alone gives the entry its share.
CANADIAN = (
    (("2", 0.99996), ("3", 1.4e-05), ("1", 7.5e-06)),
    (("5", 0.99995), ("2", 8.4e-06), ("4", 7.2e-06)),
    (("8", 0.9999), ("9", 2.4e-05), ("5", 2.0e-05)),
    (("1", 0.99972), ("I", 1.8e-04), ("L", 5.7e-05)),
    (("D", 0.99987), ("O", 6.7e-05), ("0", 4.4e-05)),
    (("X", 0.99993), ("Y", 3.9e-05), ("K", 2.5e-05)),
)


@pytest.mark.parametrize(
    ("region", "hits"),
    [("Canada", ["25810X"]), ("Unknown", ["25810X"]), ("United States", []), (None, [])],
)
def test_the_read_region_decides_a_look_alike_hit(region: str | None, hits: list[str]) -> None:
    ix = index("25810X", filler=1_000)
    found = ix.match("2581DX", state=None, now=NOW, alternatives=CANADIAN, region=region)
    assert [m.entry.plate for m in found] == hits
    assert all(m.match_type == "lattice" and m.diff == ((4, "D", "0"),) for m in found)
