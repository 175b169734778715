"""The format prior and the re-ranking of OCR candidates by it (synthetic slot probabilities)."""

from __future__ import annotations

import numpy as np
import pytest

from lpr import formats
from lpr.consensus import consensus
from lpr.prior import Decoder, candidates, rerank
from lpr.recognizer import PlateObservation
from rtcc.plate_formats import model_for

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
CHARS = ALPHABET[:-1]
US = formats.rules_for(["us"])


def probs_for(slots: list[dict[str, float]], total: int = 9) -> np.ndarray:
    """Slot probabilities: given characters, the rest of each slot's mass spread evenly."""
    out = np.zeros((total, len(ALPHABET)), dtype=np.float64)
    for i in range(total):
        dist = slots[i] if i < len(slots) else {"_": 1.0}
        rest = max(0.0, 1.0 - sum(dist.values())) / (len(ALPHABET) - len(dist))
        out[i, :] = rest
        for ch, p in dist.items():
            out[i, ALPHABET.index(ch)] = p
    return out


def sure(text: str, p: float = 0.995) -> list[dict[str, float]]:
    return [{ch: p} for ch in text]


def region(code: str, patterns: tuple[str, ...], **letters: float) -> formats.RegionRules:
    return formats.RegionRules(code, (code,), patterns, (), tuple(letters.items()))


def test_uncertain_zero_in_a_run_of_letters_becomes_o() -> None:
    probs = probs_for([{"G": 0.99}, {"0": 0.51, "O": 0.48}, {"O": 0.55, "0": 0.44}, *sure("GLES")])
    dec = Decoder(US, 1.0, 2.5).decode(probs, ALPHABET, "_", None, 0.0)
    assert dec.text == "GOOGLES" and not dec.format_ok
    assert dec.char_confidences[1] == pytest.approx(0.48)
    hard = Decoder(US, 0.0, 2.5).decode(probs, ALPHABET, "_", None, 0.0)
    assert hard.text == "G0OGLES"  # weight 0: the hard-pattern decoder, no format fits


def test_sure_characters_are_kept_against_the_prior() -> None:
    for text in ("J1S1", "EXCUSEM3", "WESEA115", "7ABCO12"):
        probs = probs_for(sure(text))
        assert Decoder(US, 1.0, 2.5).decode(probs, ALPHABET, "_", None, 0.0).text == text


def test_uncertain_o_becomes_zero_where_the_format_wants_a_digit() -> None:
    probs = probs_for([*sure("7ABC"), {"O": 0.55, "0": 0.4}, *sure("12")])
    dec = Decoder(US, 1.0, 2.5).decode(probs, ALPHABET, "_", None, 0.0)
    assert dec.text == "7ABC012" and dec.format_ok


def test_a_letter_slot_reads_o_over_zero_only_when_the_ocr_says_so() -> None:
    doubt = probs_for([*sure("AB"), {"0": 0.5, "O": 0.45}, *sure("1234")])
    dec = Decoder(US, 1.0, 2.5).decode(doubt, ALPHABET, "_", None, 0.0)
    assert dec.text == "AB01234"  # @@##### fits too, and O is rare in serials
    leaning = probs_for([*sure("AB"), {"O": 0.9, "0": 0.08}, *sure("1234")])
    assert Decoder(US, 1.0, 2.5).decode(leaning, ALPHABET, "_", None, 0.0).text == "ABO1234"


def test_region_the_ocr_is_sure_of_elsewhere_keeps_only_the_run_prior() -> None:
    gb = region("gb", ("@@##@@@",), I=0.05)
    rules = (gb,)
    probs = probs_for([{"V": 0.99}, {"1": 0.6, "I": 0.39}, *sure("47JAR")])
    own = Decoder(rules, 1.0, 2.5).decode(probs, ALPHABET, "_", "gb", 0.99)
    assert own.text == "VI47JAR" and own.format_ok
    other = Decoder(rules, 1.0, 2.5).decode(probs, ALPHABET, "_", "France", 0.99)
    assert other.text == "V147JAR" and not other.format_ok


def test_padding_competes_so_a_doubtful_last_character_can_go() -> None:
    probs = probs_for([*sure("ABC123"), {"_": 0.55, "4": 0.44}])
    assert Decoder(US, 1.0, 2.5).decode(probs, ALPHABET, "_", None, 0.0).text == "ABC1234"
    assert rerank(probs, ALPHABET, "_", model_for(US), [], 0.0)[0] == "ABC123"


def test_candidates_are_the_likeliest_paths() -> None:
    logp = np.log(np.array([[0.6, 0.4], [0.9, 0.1]]))
    found = candidates(logp, beam=3)
    assert sorted(found, key=lambda p: -found[p]) == [(0, 0), (1, 0), (0, 1)]


def test_track_consensus_decodes_with_the_prior() -> None:
    def seen(alts: tuple[tuple[tuple[str, float], ...], ...]) -> PlateObservation:
        text = "".join(a[0][0] for a in alts)
        confs = tuple(a[0][1] for a in alts)
        return PlateObservation(
            text, sum(confs) / len(confs), confs, (0, 0, 80, 20), 0.9,
            raw_text=text, alternatives=alts,
        )  # fmt: skip

    def alt(ch: str, p: float = 0.99, other: str = "", q: float = 0.0) -> tuple:
        return ((ch, p), (other, q)) if other else ((ch, p),)

    first = (alt("G"), alt("0", 0.52, "O", 0.47), alt("O", 0.6, "0", 0.38), alt("G"), alt("L"))
    out = consensus([seen(first), seen(first)], Decoder(US, 1.0, 2.5))
    assert out.text == "GOOGL"
    assert consensus([seen(first)], Decoder(US, 0.0, 2.5)).text == "G0OGL"
