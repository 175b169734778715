"""Format rules and format-constrained decoding."""

from __future__ import annotations

import numpy as np
import pytest

from lpr import formats
from rtcc.errors import ConfigError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"


def probs_for(slots: list[dict[str, float]], total: int = 9) -> np.ndarray:
    out = np.zeros((total, len(ALPHABET)), dtype=np.float32)
    for i in range(total):
        dist = slots[i] if i < len(slots) else {"_": 1.0}
        for ch, p in dist.items():
            out[i, ALPHABET.index(ch)] = p
    return out


def sure(text: str) -> list[dict[str, float]]:
    return [{ch: 0.99} for ch in text]


def test_fits_character_classes() -> None:
    assert formats.fits("1ABC234", "#@@@###")
    assert not formats.fits("1AB0234", "#@@@###")
    assert not formats.fits("1ABC23", "#@@@###")


def test_uncertain_o_becomes_zero_where_the_format_wants_a_digit() -> None:
    slots = sure("7ABC") + [{"O": 0.55, "0": 0.4}] + sure("12")
    dec = formats.constrained_decode(probs_for(slots), ALPHABET, "_", ["#@@@###"], margin=2.5)
    assert dec.text == "7ABC012" and dec.format_ok


def test_sure_characters_are_not_overridden() -> None:
    slots = sure("7ABC") + [{"O": 0.99, "0": 0.001}] + sure("12")
    dec = formats.constrained_decode(probs_for(slots), ALPHABET, "_", ["#@@@###"], margin=2.5)
    assert dec.text == "7ABCO12" and not dec.format_ok


def test_fitting_read_is_unchanged() -> None:
    dec = formats.constrained_decode(
        probs_for(sure("ABC1234")), ALPHABET, "_", ["@@@####"], margin=2.5
    )
    assert dec.text == "ABC1234" and dec.format_ok


def test_shipped_us_rules_and_unknown_region() -> None:
    us = formats.rules_for(["us"])
    assert "#@@@###" in us[0].patterns
    with pytest.raises(ConfigError, match="xx"):
        formats.rules_for(["xx"])


def test_rules_skipped_when_ocr_is_sure_of_another_region() -> None:
    rules = formats.rules_for(["us"])
    assert formats.applicable(rules, "United Kingdom", 0.95) == []
    assert formats.applicable(rules, "United Kingdom", 0.3)
    assert formats.applicable(rules, "United States", 0.99)
