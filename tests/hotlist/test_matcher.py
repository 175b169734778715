"""Matching rules: exact, confusable, fuzzy, wildcard, state, expiry, confidences, live index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotlist.matcher import EntryRef, HotlistIndex, ListRef, Matcher, read_state
from rtcc.config import MatchSettings
from rtcc.plates import PlateReadRecord
from rtcc.vocab import ReadStatus

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
STOLEN = ListRef(1, "stolen", priority=90)


def index(*plates: str, rules: MatchSettings | None = None, **kw: object) -> HotlistIndex:
    return HotlistIndex(
        [EntryRef(i + 1, STOLEN, p, **kw) for i, p in enumerate(plates)],  # type: ignore[arg-type]
        rules or MatchSettings(),
    )


def kinds(ix: HotlistIndex, read: str, **kw: object) -> list[tuple[str, str]]:
    return [(m.entry.plate, m.match_type) for m in ix.match(read, state=None, now=NOW, **kw)]  # type: ignore[arg-type]


def test_exact_match_needs_no_confirmation() -> None:
    (m,) = index("ABC1234").match("ABC1234", state=None, now=NOW)
    assert (m.match_type, m.distance, m.diff, m.needs_confirmation) == ("exact", 0.0, (), False)


@pytest.mark.parametrize(
    ("read", "diff"),
    [
        ("A8C1234", ((1, "8", "B"),)),
        ("ABC1Z34", ((4, "Z", "2"),)),
        ("A8C1Z34", ((1, "8", "B"), (4, "Z", "2"))),
    ],
)
def test_confusable_substitutions(read: str, diff: tuple[tuple[int, str, str], ...]) -> None:
    (m,) = index("ABC1234").match(read, state=None, now=NOW)
    assert (m.match_type, m.diff, m.needs_confirmation) == ("confusable", diff, True)
    assert m.distance == pytest.approx(0.25 * len(diff))


def test_confusable_plus_one_other_edit_is_fuzzy() -> None:
    (m,) = index("ABC1234").match("A8C12X4", state=None, now=NOW)
    assert m.match_type == "fuzzy" and m.diff == ((1, "8", "B"), (5, "X", "3"))
    assert m.distance == pytest.approx(1.25)


@pytest.mark.parametrize("group", MatchSettings().confusion_groups)
def test_every_configured_group(group: str) -> None:
    rules = MatchSettings(max_other_edits=0)
    for a in group:
        for b in group:
            if a != b:
                assert kinds(index(f"XY{a}789", rules=rules), f"XY{b}789") == [
                    (f"XY{a}789", "confusable")
                ], (a, b)


def test_custom_confusion_table() -> None:
    strict = MatchSettings(confusion_groups=["B8"], max_other_edits=0)
    ix = index("ABC1234", rules=strict)
    assert kinds(ix, "A8C1234") == [("ABC1234", "confusable")]
    assert kinds(ix, "ABC1Z34") == []
    assert (
        kinds(index("ABC1234", rules=MatchSettings(confusable=False, max_other_edits=0)), "A8C1234")
        == []
    )


def test_max_confusable_limit() -> None:
    ix = index("BBBBBB", rules=MatchSettings(max_confusable=2, max_other_edits=0))
    assert kinds(ix, "88BBBB") == [("BBBBBB", "confusable")]
    assert kinds(ix, "888BBB") == []


def test_one_other_edit_only_for_five_or_more_characters() -> None:
    ix = index("ABC1234", "AB12")
    assert kinds(ix, "ABX1234") == [("ABC1234", "fuzzy")]
    assert kinds(ix, "AX12") == []  # 4 characters: confusables only
    assert kinds(ix, "AXX1234") == []  # two other edits
    m = ix.match("ABX1234", state=None, now=NOW)[0]
    assert (m.distance, m.diff, m.needs_confirmation) == (1.0, ((2, "X", "C"),), True)


def test_missing_and_extra_characters_when_enabled() -> None:
    assert kinds(index("ABC1234"), "ABC124") == []  # off by default
    ix = index("ABC1234", rules=MatchSettings(fuzzy_indels=True))
    (missing,) = ix.match("ABC124", state=None, now=NOW)
    assert missing.match_type == "fuzzy" and missing.diff[0][1] == ""
    (extra,) = ix.match("ABC12345", state=None, now=NOW)
    assert extra.match_type == "fuzzy" and extra.diff == ((7, "5", ""),)


def test_char_confidences_gate_fuzzy_edits_and_rank_candidates() -> None:
    ix = index("ABC1234", rules=MatchSettings(fuzzy_max_char_confidence=0.9))
    sure = [0.99] * 7
    unsure = [0.99, 0.99, 0.4, 0.99, 0.99, 0.99, 0.99]
    assert kinds(ix, "ABX1234", confidences=sure) == []
    assert kinds(ix, "ABX1234", confidences=unsure) == [("ABC1234", "fuzzy")]
    # Two entries one edit away: the one whose differing character is least certain ranks first.
    ix2 = index("ABC1234", "ABX1235")
    conf = [0.99, 0.99, 0.5, 0.99, 0.99, 0.99, 0.6]
    found = ix2.match("ABX1234", state=None, now=NOW, confidences=conf)
    assert [m.entry.plate for m in found] == ["ABC1234", "ABX1235"]


def test_fuzzy_dropped_when_an_exact_or_confusable_entry_matches() -> None:
    ix = index("ABC1234", "ABC1235")
    assert kinds(ix, "ABC1234") == [("ABC1234", "exact")]
    loose = index("ABC1234", "ABC1235", rules=MatchSettings(fuzzy_only_without_closer=False))
    assert sorted(kinds(loose, "ABC1234")) == [("ABC1234", "exact"), ("ABC1235", "fuzzy")]


def test_wildcards() -> None:
    ix = index("ABC*", "A?C123", "7*9")
    assert kinds(ix, "ABC9") == [("ABC*", "wildcard")]
    assert kinds(ix, "ABC") == [("ABC*", "wildcard")]
    assert kinds(ix, "AXC123") == [("A?C123", "wildcard")]
    assert kinds(ix, "A8C55") == [("ABC*", "wildcard")]  # confusables apply to wildcards too
    assert kinds(ix, "7ZZZ9") == [("7*9", "wildcard")]
    assert kinds(ix, "XBC123") == []
    (m,) = ix.match("ABC9", state=None, now=NOW)
    assert m.needs_confirmation


def test_state_rule() -> None:
    ix = index("ABC1234", state="CA")
    assert len(ix.match("ABC1234", state="CA", now=NOW)) == 1
    assert len(ix.match("ABC1234", state=None, now=NOW)) == 1  # read without a state
    assert ix.match("ABC1234", state="NV", now=NOW) == []
    lax = index("ABC1234", state="CA", rules=MatchSettings(require_same_state=False))
    assert len(lax.match("ABC1234", state="NV", now=NOW)) == 1


def read_in(region: str | None, plate: str = "ABC1234") -> PlateReadRecord:
    return PlateReadRecord(
        track_key="t1",
        status=ReadStatus.FINAL,
        plate=plate,
        confidence=0.97,
        char_confidences=(0.97,) * len(plate),
        char_alternatives=tuple(((ch, 0.97),) for ch in plate),
        alternatives=(),
        region=region,
        format_ok=True,
        frames=3,
        first_seen=NOW,
        last_seen=NOW,
        box=(1, 2, 3, 4),
    )


def test_a_live_read_meets_the_state_rule_only_with_a_state_code() -> None:
    # The OCR names countries ("United States"): that says nothing about an entry's state.
    matcher = Matcher(index("ABC1234", state="CA"))
    assert read_state("United States") is None and read_state("Unknown") is None
    assert read_state("CA") == "CA"
    for region in ("United States", "Unknown", None, "CA"):
        assert len(matcher.match_read(read_in(region), now=NOW)) == 1, region
    assert matcher.match_read(read_in("NV"), now=NOW) == []


def test_expired_entries_never_hit() -> None:
    ix = index("ABC1234", expires_at=NOW + timedelta(seconds=1))
    assert len(ix.match("ABC1234", state=None, now=NOW)) == 1
    assert ix.match("ABC1234", state=None, now=NOW + timedelta(seconds=1)) == []


def test_matcher_overlay_remove_and_replace() -> None:
    matcher = Matcher(index("ABC1234"))
    matcher.add([EntryRef(99, STOLEN, "NEW123")])
    assert [m.entry.entry_id for m in matcher.match("NEW123", state=None, now=NOW)] == [99]
    matcher.remove([1, 99])
    assert matcher.match("ABC1234", state=None, now=NOW) == []
    assert matcher.match("NEW123", state=None, now=NOW) == []
    matcher.replace(index("XYZ987"))
    assert matcher.index.size == 1
    assert len(matcher.match("XYZ987", state=None, now=NOW)) == 1


def test_empty_read_and_empty_index() -> None:
    assert index().match("ABC", state=None, now=NOW) == []
    assert index("ABC").match("", state=None, now=NOW) == []


def test_garbage_reads_get_no_inexact_matches() -> None:
    ix = index("1LL1L1")
    assert kinds(ix, "111111", confidences=[0.9] * 6) == [("1LL1L1", "confusable")]
    assert kinds(ix, "111111", confidences=[0.15] * 6) == []
    assert kinds(ix, "1LL1L1", confidences=[0.15] * 6) == [("1LL1L1", "exact")]


def test_fuzzy_only_against_small_lists() -> None:
    big, small = ListRef(1, "ncic"), ListRef(2, "bolo")
    rules = MatchSettings(fuzzy_max_list_size=2)
    ix = HotlistIndex(
        [
            EntryRef(1, big, "ABC1234"),
            EntryRef(2, big, "XYZ1234"),
            EntryRef(3, big, "QQQ111"),
            EntryRef(4, small, "KLM5678"),
        ],
        rules,
    )
    assert kinds(ix, "ABX1234") == []  # the big list: exact and confusable only
    assert kinds(ix, "A8C1234") == [("ABC1234", "confusable")]
    assert kinds(ix, "KLM5679") == [("KLM5678", "fuzzy")]
