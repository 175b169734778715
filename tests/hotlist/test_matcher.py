"""Matching rules: exact, lattice (look-alikes, doubts, indels, list density), wildcard, state,
expiry, live index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hotlist import lattice as lat
from hotlist.matcher import EntryRef, HotlistIndex, ListRef, Matcher, read_state
from rtcc.config import MatchSettings
from rtcc.plate_formats import DIGITS, LETTERS
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


def filled(*plates: str, filler: int = 20_000) -> HotlistIndex:
    """``plates`` among ``filler`` random ``@@@####`` plates (a list dense in that shape)."""
    rng = random.Random(5)
    extra = {
        "".join(rng.choice(LETTERS) for _ in range(3))
        + "".join(rng.choice(DIGITS) for _ in range(4))
        for _ in range(filler)
    } - set(plates)
    return index(*plates, *sorted(extra))


@pytest.mark.parametrize(
    ("read", "diff"),
    [
        ("A8C1234", ((1, "8", "B"),)),
        ("ABC1Z34", ((4, "Z", "2"),)),
        ("A8C1Z34", ((1, "8", "B"), (4, "Z", "2"))),
    ],
)
def test_look_alikes_of_a_read_without_a_lattice(
    read: str, diff: tuple[tuple[int, str, str], ...]
) -> None:
    (m,) = index("ABC1234").match(read, state=None, now=NOW)
    assert (m.match_type, m.diff, m.needs_confirmation) == ("lattice", diff, True)
    assert m.distance == len(diff) and m.posterior is not None and 0 < m.posterior < 1


@pytest.mark.parametrize("group", MatchSettings().confusion_groups)
def test_every_configured_group_is_a_look_alike(group: str) -> None:
    # A sure read character lends each of its look-alikes the floor, no other character.
    rules = MatchSettings()
    ix = index("ABC1234")
    for a in group:
        (dist,) = lat.lattice_of(a, None, None, ix._lookalikes, rules.lattice_lookalike_floor)
        assert dist == {a: 1.0} | {b: rules.lattice_lookalike_floor for b in group if b != a}


def test_the_look_alike_model_is_the_configured_groups() -> None:
    # A sure O where the list has a D, both plates of a common format: on a list dense in that
    # format only the look-alike floor gives the entry enough posterior (O, seldom issued in
    # US serials, makes D likelier still; a sure D is not an O often enough to hit one).
    read = "ABO1234"
    assert kinds(filled("ABD1234"), read) == [("ABD1234", "lattice")]
    strict = MatchSettings(confusion_groups=["B8"])
    ix = HotlistIndex(filled("ABD1234").entries, strict)
    assert kinds(ix, read) == []


def test_a_doubtful_character_may_be_anything_a_sure_one_may_not() -> None:
    ix = filled("ABC1234")
    sure = [0.99] * 7
    unsure = [0.99, 0.99, 0.4, 0.99, 0.99, 0.99, 0.99]
    assert kinds(ix, "ABX1234", confidences=sure) == []
    assert kinds(ix, "ABX1234", confidences=unsure) == [("ABC1234", "lattice")]


def test_the_lists_density_decides_an_unsupported_substitution() -> None:
    # One substitution the read does not support: a hit on a short list (few plates of that
    # shape: a coincidence is unlikely), none on one dense in the shape.
    assert kinds(index("ABC1234", "XYZ987"), "ABX1234") == [("ABC1234", "lattice")]
    assert kinds(filled("ABC1234"), "ABX1234") == []


def test_a_dropped_or_extra_character() -> None:
    ix = index("ABC1234")
    (missing,) = ix.match("ABC124", state=None, now=NOW)
    assert missing.match_type == "lattice" and missing.diff == ((5, "", "3"),)
    (extra,) = ix.match("ABC12345", state=None, now=NOW)
    assert extra.match_type == "lattice" and extra.diff == ((7, "5", ""),)
    assert extra.posterior is not None and extra.posterior < 0.01
    # On a list dense in the shape, 36 x 8 strings could be the plate behind "ABC124": no hit.
    assert kinds(filled("ABC1234"), "ABC124") == []
    assert kinds(index("ABC1234", rules=MatchSettings(lattice_indel=0.0)), "ABC124") == []


def test_candidates_rank_by_how_far_below_the_read_they_score() -> None:
    ix2 = index("ABC1234", "ABX1235")
    conf = [0.99, 0.99, 0.5, 0.99, 0.99, 0.99, 0.6]
    found = ix2.match("ABX1234", state=None, now=NOW, confidences=conf)
    assert [m.entry.plate for m in found] == ["ABC1234", "ABX1235"]


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
    # A read doubtful everywhere spreads its posterior over thousands of strings: on a list
    # with many plates of its shape no single one gets enough.
    ix = filled("1LL1L11")
    assert kinds(ix, "1111111", confidences=[0.15] * 7) == []
    assert kinds(ix, "1LL1L11", confidences=[0.15] * 7) == [("1LL1L11", "exact")]


def test_an_added_entry_is_judged_by_the_density_of_its_lists() -> None:
    # "ABX1234" for "ABC1234": a hit on a list of one, none on a list dense in the shape, also
    # when the entry arrives in the live overlay rather than in a rebuilt index.
    alone = Matcher(index("XYZ987"))
    alone.add([EntryRef(99, STOLEN, "ABC1234")])
    assert [m.entry.entry_id for m in alone.match("ABX1234", state=None, now=NOW)] == [99]
    dense = Matcher(filled())
    dense.add([EntryRef(99, STOLEN, "ABC1234")])
    assert dense.match("ABX1234", state=None, now=NOW) == []
    assert [m.entry.entry_id for m in dense.match("ABC1234", state=None, now=NOW)] == [99]


def test_a_listed_read_explains_itself_unless_it_is_in_doubt() -> None:
    ix = index("ABC1234", "ABC1235")
    assert kinds(ix, "ABC1234") == [("ABC1234", "exact")]
    assert sorted(kinds(ix, "ABC1236")) == [("ABC1234", "lattice"), ("ABC1235", "lattice")]
    doubt = tuple(((ch, 0.99),) for ch in "ABC123") + ((("4", 0.55), ("5", 0.4)),)
    found = ix.match("ABC1234", state=None, now=NOW, alternatives=doubt)
    assert sorted((m.entry.plate, m.match_type) for m in found) == [
        ("ABC1234", "exact"),
        ("ABC1235", "lattice"),
    ]


def test_a_built_index_leaves_the_garbage_collectors_walks() -> None:
    """A million-entry index held in lists was walked by every full collection (~65 ms, the
    interpreter held, hits waiting); its plates and rows are tuples of atoms, which the collector
    stops tracking once it has looked (rows: their fields first, then the tuple of them)."""
    import gc

    ix = index(*(f"ABC{n:04d}" for n in range(2000)), expires_at=NOW + timedelta(days=1))
    gc.collect()
    gc.collect()
    held = [ix._rows, ix._plates.plates, ix._plates._canon]
    assert [len(h) for h in held] == [2000, 2000, 2000]
    assert not any(gc.is_tracked(h) for h in held)
    assert ix.match("ABC0042", state=None, now=NOW)[0].entry.plate == "ABC0042"
