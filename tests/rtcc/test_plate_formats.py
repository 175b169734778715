"""The one plate-string model (``rtcc.plate_formats``): a distribution per length, its fast path
against the mixture written out term by term, its per-position marginals, and the decoder's prior
and the matcher's background being that one model."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime

import pytest

from hotlist.matcher import EntryRef, HotlistIndex, ListRef
from lpr.formats import applicable_rules
from lpr.prior import Decoder
from rtcc.plate_formats import (
    ALPHABET,
    DIGITS,
    GENERIC,
    LETTERS,
    PlateModel,
    RegionRules,
    fits,
    log_vanity,
    model_for,
    model_of_label,
    prior_parameters,
    region_code,
    region_model,
    rules_for,
    shipped_rules,
)

US = rules_for(["us"])
# Literals and '?' slots (scored term by term), letter and pattern weights.
ODD = RegionRules("t", ("t",), ("@#@", "##@", "?@1"), (("@#@", 2.0),), (("O", 0.25),))


def test_vanity_prior_sums_to_one_and_prefers_runs() -> None:
    pairs = itertools.product(ALPHABET, repeat=2)
    assert sum(math.exp(log_vanity("".join(s), 0.75)) for s in pairs) == pytest.approx(1.0)
    assert log_vanity("GOOGLE", 0.75) > log_vanity("G0OGLE", 0.75)
    assert log_vanity("ABC123", 0.75) > log_vanity("A1B2C3", 0.75)


@pytest.mark.parametrize(
    "rules",
    [(ODD,), (RegionRules("u", ("u",), ("@#@", "##@"), (), (("Q", 0.0),)),), (ODD, *US), ()],
)
def test_the_model_is_a_distribution_per_length(rules: tuple[RegionRules, ...]) -> None:
    model = PlateModel(rules)
    for n in (2, 3):
        strings = ("".join(s) for s in itertools.product(ALPHABET, repeat=n))
        assert sum(math.exp(model.log_prob(s)) for s in strings) == pytest.approx(1.0)


def test_letters_a_region_rarely_issues_are_less_likely_in_a_serial() -> None:
    prior = model_for(US)
    assert prior.log_prob("ABO1234") < prior.log_prob("ABC1234") - 1.0
    # a format string beats the same characters in an unformatted order
    assert prior.log_ratio("7ABC123") > prior.log_ratio("7AB1C23") + 2.0


def _reference(text: str, rules: tuple[RegionRules, ...]) -> float:
    """log P(text) written out: vanity share, regions with a format of the length, patterns."""
    params = prior_parameters()
    serial = []
    for r in rules:
        pats = [p for p in r.patterns if len(p) == len(text)]
        if not pats:
            continue
        w = {p: r.pattern_weights.get(p, 1.0) for p in pats}
        lw = {c: r.serial_letter_weights.get(c, 1.0) for c in LETTERS}
        fit = 0.0
        for p in pats:
            prob = w[p] / sum(w.values())
            for ch, slot in zip(text, p, strict=True):
                if slot == "@":
                    prob *= lw[ch] / sum(lw.values()) if ch in LETTERS else 0.0
                elif slot == "#":
                    prob *= 0.1 if ch in DIGITS else 0.0
                elif slot == "?":
                    prob *= 1 / 36
                else:
                    prob *= ch == slot
            fit += prob
        serial.append(fit)
    vanity = math.exp(log_vanity(text, params.class_run_stay))
    if not serial:
        return math.log(vanity)
    v = params.vanity_share
    total = v * vanity + (1 - v) * sum(serial) / len(serial)
    return math.log(total) if total > 0 else -math.inf


@pytest.mark.parametrize("codes", [["us"], ["gb"], ["nl"], ["us", "gb"], []])
def test_the_model_is_its_mixture_term_by_term(codes: list[str]) -> None:
    rng = random.Random(len(codes))
    rules = rules_for(codes)
    model = PlateModel(rules)
    for _ in range(3000):
        pool = rng.choice([LETTERS, DIGITS, ALPHABET, "IOQ0", "O"])
        text = "".join(rng.choice(pool if rng.random() < 0.5 else ALPHABET) for _ in range(7))
        text = text[: rng.randint(1, 9)]
        assert model.log_prob(text) == pytest.approx(_reference(text, rules), abs=1e-9), text
    for text in ("AB1", "0A1", "8A1", "A11"):  # literals and '?' slots
        assert PlateModel([ODD]).log_prob(text) == pytest.approx(_reference(text, (ODD,)))


PLAIN = RegionRules("x", ("x",), ("@@#", "#@@"), (("#@@", 3.0),), (("I", 0.5),))


@pytest.mark.parametrize("rules", [(ODD,), (PLAIN,), (ODD, PLAIN), ()])
def test_position_probs_are_the_marginals_of_the_mixture(rules: tuple[RegionRules, ...]) -> None:
    model, n = PlateModel(rules), 3
    marginal = [dict.fromkeys(ALPHABET, 0.0) for _ in range(n)]
    for chars in itertools.product(ALPHABET, repeat=n):
        p = math.exp(model.log_prob("".join(chars)))
        for i, ch in enumerate(chars):
            marginal[i][ch] += p
    probs = model.position_probs(n)
    for i in range(n):
        for ch in ALPHABET:
            assert probs[i][ch] == pytest.approx(marginal[i][ch], abs=1e-12)
            assert model.log_chars(n)[i][ch] == pytest.approx(math.log(marginal[i][ch]))
        assert model.letter_share(n)[i] == pytest.approx(sum(marginal[i][c] for c in LETTERS))


def test_a_read_region_label_names_a_region() -> None:
    us = shipped_rules()["us"]
    assert us.covers("United States") and us.covers("us") and us.covers("CA")
    assert not us.covers("Canada")
    assert region_code("CA", "gb") == "us" and region_code("Canada", "us") == GENERIC
    assert region_model(GENERIC) is model_for(()) is model_of_label("Unknown", "us")


def test_the_decoder_prior_and_the_matcher_background_are_one_model() -> None:
    """The log-probability the decoder weighs a string by is the one the matcher scores a hit
    against: a read sure of every character (``log q`` = 0) records ``llr = -log B``."""
    decoder = Decoder(US, 1.0, 2.5)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for label in ("United States", "CA", None):
        prior = model_for(applicable_rules(decoder.rules, label, 0.99))
        assert prior is model_of_label(label, "us")
        for plate in ("ABC1234", "ABO1234", "7ABC123", "GOOGLE", "A1B2C3D", "Q0O1"):
            ix = HotlistIndex([EntryRef(1, ListRef(1, "l"), plate)])
            sure = tuple(((ch, 1.0),) for ch in plate)
            (m,) = ix.match(plate, state=None, now=now, alternatives=sure, region=label)
            assert m.match_type == "exact" and m.llr is not None
            assert -m.llr == pytest.approx(prior.log_prob(plate), abs=1e-12)
    # A region the OCR is sure is another: the decoder keeps the vanity prior alone, as the
    # matcher's background of that region.
    assert model_for(applicable_rules(decoder.rules, "Canada", 0.99)) is model_of_label(
        "Canada", "us"
    )


def test_plates_drawn_from_the_model_follow_it() -> None:
    """``PlateModel.sample`` (the calibration's unlisted plates): about ``vanity_share`` of them
    fit no format, the serials' letters follow ``serial_letter_weights`` (O a quarter of A)."""
    model, rng = region_model("us"), random.Random(4)
    drawn = [model.sample(rng) for _ in range(20_000)]
    assert all(math.isfinite(model.log_prob(p)) for p in drawn)
    patterns = shipped_rules()["us"].patterns
    serials = [p for p in drawn if any(fits(p, pat) for pat in patterns)]
    vanity = 1 - len(serials) / len(drawn)
    assert 0.03 < vanity <= prior_parameters().vanity_share + 0.01  # some vanity plates fit
    letters = "".join(c for p in serials for c in p if c.isalpha())
    assert 0.15 < letters.count("O") / letters.count("A") < 0.4
