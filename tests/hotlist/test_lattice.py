"""Scoring hotlist plates on a read's OCR lattice (``hotlist.lattice``) and the index using it."""

from __future__ import annotations

import dataclasses
import math
import random
from datetime import UTC, datetime

import pytest

from hotlist import lattice as lat
from hotlist.matcher import EntryRef, HotlistIndex, ListRef
from rtcc.config import MatchSettings
from rtcc.plate_formats import (
    ALPHABET,
    DIGITS,
    GENERIC,
    LETTERS,
    PlateModel,
    RegionRules,
    log_vanity,
    model_of_label,
    region_code,
    region_model,
    shipped_rules,
)
from rtcc.plates import CharAlternatives

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STOLEN = ListRef(1, "stolen", priority=90)
BG = region_model("us")
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
        "".join(rng.choice(LETTERS) for _ in range(3))
        + "".join(rng.choice(DIGITS) for _ in range(4))
        for _ in range(filler)
    } - set(plates)
    entries = [EntryRef(i + 1, STOLEN, p) for i, p in enumerate([*plates, *sorted(extra)])]
    return HotlistIndex(entries, MatchSettings(**rules))  # type: ignore[arg-type]


def test_background_follows_the_formats() -> None:
    bg = PlateModel([RegionRules("t", ("t",), ("@@@####", "#@@@###"))])
    shares = bg.letter_share(7)
    assert shares[1] == pytest.approx(0.9 + 0.1 * 0.5)  # a letter in both formats
    assert shares[6] == pytest.approx(0.1 * 0.5)  # a digit in both; vanity: even odds
    probs = bg.position_probs(7)
    assert probs[6]["5"] > probs[6]["Q"]
    assert bg.position_probs(9)[0]["A"] == pytest.approx(0.5 / 26)  # no format: vanity alone
    vanity = 0.1 * math.exp(log_vanity("ABC1234", bg.stay))
    fits = vanity + 0.9 * 0.5 * 26.0**-3 * 10.0**-4  # one of the two formats
    assert bg.log_prob("ABC1234") == pytest.approx(math.log(fits))


def test_score_rewards_the_read_and_punishes_characters_outside_top_k() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    exact = lat.score("ABCO123", lattice, BG, FLOOR)
    alt = lat.score("ABC0123", lattice, BG, FLOOR)
    other = lat.score("ABCX123", lattice, BG, FLOOR)
    assert exact > alt > other
    assert exact - alt == pytest.approx(
        math.log(0.6 / 0.35) - BG.log_prob("ABCO123") + BG.log_prob("ABC0123")
    )
    # A plate that fits a common format is likelier at random than one that fits none.
    assert BG.log_prob("ABC1234") > BG.log_prob("A1B2C3D")
    assert lat.score("ABC012", lattice, BG, FLOOR) == -math.inf


def test_a_lattice_that_does_not_cover_the_text_gives_way_to_the_confidences() -> None:
    assert lat.lattice_of("ABC", sure("ABC", 0.9)) == ({"A": 0.9}, {"B": 0.9}, {"C": 0.9})
    for alts in (sure("ABD"), sure("AB"), (), None):
        assert lat.lattice_of("ABC", alts, [0.5, 0.6, 0.7]) == ({"A": 0.5}, {"B": 0.6}, {"C": 0.7})
        assert lat.lattice_of("ABC", alts) == ({"A": 1.0}, {"B": 1.0}, {"C": 1.0})


def test_paths_are_best_first_and_bounded() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    found = lat.paths(lattice, BG, -math.inf, 10)
    assert [p for _, p in found] == ["ABCO123", "ABC0123"]
    assert found[0][0] >= found[1][0]
    assert lat.paths(lattice, BG, found[0][0] - 1e-9, 10) == found[:1]


def policy(listed: tuple[str, ...] = (), **kw: float) -> lat.Policy:
    """The default policy over a list of ``listed`` plates."""
    rules = MatchSettings()
    args = {
        "min_odds": rules.lattice_min_odds,
        "min_posterior": rules.lattice_min_posterior,
        "indel": rules.lattice_indel,
    } | kw
    return lat.Policy(
        lat.ListDensity(listed),
        args["min_odds"],
        args["min_posterior"],
        FLOOR,
        32,
        args["indel"],
    )


def dense(n: int, shape: str = "@@@####") -> tuple[str, ...]:
    """``n`` random plates of ``shape``."""
    rng = random.Random(3)
    return tuple(
        "".join(rng.choice(LETTERS if c == "@" else DIGITS) for c in shape)
        for _ in range(n)
    )


def test_list_density_is_the_share_of_a_shape_that_is_listed() -> None:
    density = lat.ListDensity(["ABC1234", "XYZ9876", "AB12", "ABC*"])
    assert density.chance("QQQ0000") == pytest.approx(2 / (26**3 * 10**4))
    assert density.chance("CD34") == pytest.approx(1 / (26**2 * 10**2))
    assert density.chance("1ABC234") == 0.0  # no listed plate of that shape


def test_likeliest_strings_follow_the_lattice_alone() -> None:
    lattice = lat.lattice_of("ABCO123", with_doubt("ABCO123", 3, (("O", 0.6), ("0", 0.35))))
    found = lat.likeliest(lattice, 3)
    assert found == ["ABCO123", "ABC0123"]  # the sure positions offer nothing else


def test_lookalikes_get_a_floor_the_ocr_did_not_give_them() -> None:
    groups = lat.lookalike_map(["O0QD", "B8"])
    assert groups["0"] == "OQD" and groups["8"] == "B"
    lattice = lat.lattice_of("A8C", sure("A8C"), None, groups, 0.002)
    assert lattice[1] == {"8": 0.99, "B": 0.002} and lattice[0] == {"A": 0.99}


def test_a_read_that_fits_no_format_gives_its_formatted_neighbour_the_posterior() -> None:
    # A sure "A8C1234" fits no US format; "ABC1234" does: the neighbour takes a real share of
    # the posterior; the look-alike floor raises it.
    read = sure("A8C1234", 0.999)
    lattice = lat.lattice_of("A8C1234", read, None, lat.lookalike_map(["B8"]), 0.002)
    bare = lat.lattice_of("A8C1234", read)
    listed = dense(100_000)
    found = lat.accepted("A8C1234", lattice, BG, policy(listed), ["ABC1234"])
    assert list(found) == ["ABC1234"] and 0.01 < found["ABC1234"] < 1
    without = lat.accepted("A8C1234", bare, BG, policy(), ["ABC1234"])
    assert without["ABC1234"] < found["ABC1234"] / 5
    # The same substitution the other way gets far less: no hit on a list dense in its shape.
    formatted = lat.lattice_of(
        "ABC1234", sure("ABC1234", 0.999), None, lat.lookalike_map(["B8"]), 0.002
    )
    unlikely = lat.accepted("ABC1234", formatted, BG, policy(), ["A8C1234"])["A8C1234"]
    assert unlikely < found["ABC1234"] / 1000
    other_shape = policy(dense(100_000, "@#@####"))
    assert lat.accepted("ABC1234", formatted, BG, other_shape, ["A8C1234"]) == {}


def test_the_odds_against_a_coincidence_decide_an_inexact_hit() -> None:
    read = with_doubt("ABCO123", 3, (("O", 0.9), ("0", 0.08)))
    lattice = lat.lattice_of("ABCO123", read)
    (post,) = lat.accepted("ABCO123", lattice, BG, policy(), ["ABC0123"]).values()
    listed = dense(200_000)
    chance = lat.ListDensity(listed).chance("ABC0123")
    odds = post / ((1 - post) * chance)  # the Bayes factor against a coincidental listing
    for min_odds, hits in ((odds * 0.99, 1), (odds * 1.01, 0)):
        got = lat.accepted("ABCO123", lattice, BG, policy(listed, min_odds=min_odds), ["ABC0123"])
        assert len(got) == hits, min_odds
    strict = policy(min_posterior=post * 1.01)
    assert lat.accepted("ABCO123", lattice, BG, strict, ["ABC0123"]) == {}


def test_a_dropped_character_shares_its_mass_with_every_string_it_could_be() -> None:
    lattice = lat.lattice_of("ABC124", sure("ABC124", 0.999))
    (post,) = lat.accepted("ABC124", lattice, BG, policy(), ["ABC1234"]).values()
    # At most the indel probability, and well under it: 36 x 7 strings could be the plate.
    assert 0 < post < MatchSettings().lattice_indel / 10
    assert lat.accepted("ABC124", lattice, BG, policy(indel=0.0), ["ABC1234"]) == {}
    # An added character is free: the plate without it takes a real share of the indel mass.
    extra = lat.lattice_of("ABC12345", sure("ABC12345", 0.999))
    (post2,) = lat.accepted("ABC12345", extra, BG, policy(), ["ABC1234"]).values()
    assert post < post2 < MatchSettings().lattice_indel


def test_o_zero_confusion_in_the_alternatives_matches_on_a_big_list() -> None:
    ix = index("ABC0123", filler=20_000)
    read = with_doubt("ABCO123", 3, (("O", 0.55), ("0", 0.4), ("D", 0.03)))
    (m,) = ix.match("ABCO123", state=None, now=NOW, alternatives=read)
    assert (m.entry.plate, m.match_type, m.diff) == ("ABC0123", "lattice", ((3, "O", "0"),))
    assert m.llr is not None and m.needs_confirmation


def test_substitution_the_lattice_does_not_support_does_not_match() -> None:
    # S: a letter of weight 1 in US serials (an O, rare there, makes a 0 likelier: see
    # ``test_the_background_knows_which_letters_a_region_seldom_issues``).
    read = with_doubt("ABCS123", 3, (("S", 0.9899), ("X", 0.01)))
    # 5 is a look-alike of S: its floor alone makes a hit on a list of 20,000...
    (m,) = index("ABC5123", filler=20_000).match("ABCS123", state=None, now=NOW, alternatives=read)
    assert m.match_type == "lattice"
    # ...but not with the OCR's probabilities alone, nor for a character that is no look-alike.
    bare = index("ABC5123", filler=20_000, lattice_lookalike_floor=0.0)
    assert bare.match("ABCS123", state=None, now=NOW, alternatives=read) == []
    other = index("ABC7123", filler=20_000)
    assert other.match("ABCS123", state=None, now=NOW, alternatives=read) == []


def test_the_background_knows_which_letters_a_region_seldom_issues() -> None:
    # US serials seldom use O (``serial_letter_weights``): a read O is likelier a misread 0
    # than the background without letter weights says, and likelier than a misread S is a 5.
    us = shipped_rules()["us"]
    flat = PlateModel([dataclasses.replace(us, serial_letter_weight_pairs=())])
    # O at a quarter of a common letter's weight (vanity plates, any letter, soften it)
    gap = BG.log_prob("ABC0123") - BG.log_prob("ABCO123")
    assert gap > flat.log_prob("ABC0123") - flat.log_prob("ABCO123") + 1.0
    listed = dense(20_000) + ("ABC0123", "ABC5123")
    pol = policy(listed)
    post = {}
    for name, bg in (("us", BG), ("flat", flat)):
        for read, entry in (("ABCO123", "ABC0123"), ("ABCS123", "ABC5123")):
            doubt = ((read[3], 0.99), (entry[3], 0.002))
            lattice = lat.lattice_of(read, with_doubt(read, 3, doubt))
            post[name, read] = lat.accepted(read, lattice, bg, pol, [entry])[entry]
    assert post["us", "ABCO123"] > 2.5 * post["flat", "ABCO123"]
    assert post["us", "ABCO123"] > 2.5 * post["us", "ABCS123"]
    assert post["us", "ABCS123"] == pytest.approx(post["flat", "ABCS123"], rel=0.1)


def test_exact_read_always_matches_and_records_its_score() -> None:
    ix = index("ABC1234", filler=1_000)
    (m,) = ix.match("ABC1234", state=None, now=NOW, alternatives=sure("ABC1234", 0.5))
    assert m.match_type == "exact" and m.llr is not None and not m.needs_confirmation


def test_random_plates_do_not_match() -> None:
    ix = index(filler=20_000)
    rng = random.Random(9)
    false = 0
    for _ in range(300):
        text = "".join(rng.choice(LETTERS) for _ in range(3)) + "".join(
            rng.choice(DIGITS) for _ in range(4)
        )
        pos = rng.randrange(7)
        second = rng.choice([c for c in ALPHABET if c != text[pos]])
        read = with_doubt(text, pos, ((text[pos], 0.6), (second, 0.35)))
        found = ix.match(text, state=None, now=NOW, alternatives=read)
        false += any(m.match_type != "exact" for m in found)
    assert false <= 3


def test_reads_without_alternatives_are_scored_on_their_confidences() -> None:
    ix = index("ABC5123", "ABC7123", filler=20_000)
    (m,) = ix.match("ABCS123", state=None, now=NOW)  # sure: only the look-alike floor
    assert (m.entry.plate, m.match_type) == ("ABC5123", "lattice") and m.posterior is not None
    conf = [0.99, 0.99, 0.99, 0.6, 0.99, 0.99, 0.99]  # a doubtful S may be any character
    found = ix.match("ABCS123", state=None, now=NOW, confidences=conf)
    assert sorted(f.entry.plate for f in found) == ["ABC5123", "ABC7123"]


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
    _, best, changes = lat.substitutions(lattice, BG, -math.inf, 50)
    strings = [s for _, s in lat.paths(lattice, BG, -math.inf, 51)]
    table = ix._table
    assert ix._change_keys(best, changes) == [plate_key(s.translate(table)) for s in strings]


def test_the_region_on_the_read_picks_the_background() -> None:
    assert region_code("United States", "us") == "us"  # the OCR's label
    assert region_code("United Kingdom", "us") == "gb"
    assert region_code("nl", "us") == "nl"  # a region code
    assert region_code("CA", "gb") == "us"  # a US state code
    assert region_code(None, "us") == "us"  # no region: the configured one
    assert region_code(" ", "nl") == "nl"
    # A region without format rules, or one the OCR does not know: no region's formats.
    for region in ("Canada", "Unknown", "ON", "Georgia"):
        assert region_code(region, "us") == GENERIC, region
    generic = model_of_label("Canada", "us")
    assert generic is region_model(GENERIC)
    # No formats: vanity plates alone, runs of letters and of digits.
    assert generic.log_prob("25810X") == pytest.approx(log_vanity("25810X", generic.stay))
    assert generic.log_prob("25810X") > generic.log_prob("Z581DX")
    assert model_of_label("United States", "gb") is BG


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


def test_the_read_region_decides_a_look_alike_hit() -> None:
    # The US formats explain the read by "Z581DX" (a serial format) too; without formats
    # (Canada, Unknown: vanity plates alone) the look-alike floor gives the entry more share.
    # Both regions' vanity plates are runs of letters and digits (``log_vanity``), which is
    # what explains "2581DX" and "25810X" in the US as well, so the gap is small.
    ix = index("25810X", filler=1_000)
    post: dict[str | None, float] = {}
    for region in ("Canada", "Unknown", "United States", None):
        (m,) = ix.match("2581DX", state=None, now=NOW, alternatives=CANADIAN, region=region)
        assert m.match_type == "lattice" and m.diff == ((4, "D", "0"),)
        assert m.posterior is not None
        post[region] = m.posterior
    assert post["Canada"] == post["Unknown"] > 0.001
    assert post["United States"] == post[None] < post["Canada"] / 1.1
