"""The match index: keys over look-alike-canonical plates and their one-character deletions.

Every plate is first mapped to its *canonical* form (each look-alike group collapses to its first
character: ``8`` -> ``B``, ``0``/``Q``/``D`` -> ``O``...), so look-alike strings share a key, and
one further edit (substitution, missing or extra character) is found with symmetric-delete keys:
an entry is stored under its canonical plate and every one-character deletion of it; a read
probes its canonical plate, its own deletions and the strings through its lattice's top-k
alternatives (keys computed by arithmetic on the read's own key). Two strings within one edit
always share a key, so a lookup is a few dozen probes into one sorted ``int64`` array, never a
scan; a one-hash Bloom filter (``KeyFilter``) drops most probes that would find nothing before
the binary search. The key only finds candidates: every one is then scored on the read's lattice
(``hotlist.lattice``), which alone decides whether it hits.

Wildcard entries (``ABC*``, ``A?C123``) are few; they live in buckets keyed by their literal
prefix and are checked with a compiled pattern (look-alikes folded).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from hotlist import lattice as lat
from rtcc.config import MatchSettings
from rtcc.plate_formats import ALPHABET, DIGITS, LETTERS, PlateModel

MAX_KEY_LENGTH = 11  # longest plate whose key fits in int64

Diff = tuple[tuple[int, str, str], ...]  # (position, read char, entry char); "" = none


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry (by position in the index) that a read may hit, and how it differs."""

    slot: int
    match_type: str  # exact | lattice | wildcard
    distance: float  # characters that differ (a missing or extra one counts one)
    diff: Diff
    score: float  # lower is better: how far below the read's own string the entry scores
    llr: float | None = None  # lattice log-likelihood ratio (``hotlist.lattice.score``)


def canon_table(groups: Sequence[str]) -> dict[int, int]:
    table: dict[int, int] = {}
    for group in groups:
        for ch in group[1:]:
            table[ord(ch)] = ord(group[0])
    return table


def deletions(text: str) -> list[str]:
    return [text[:i] + text[i + 1 :] for i in range(len(text))]


class PlateIndex:
    """Immutable index over plates (and wildcard patterns), addressed by slot number."""

    def __init__(self, plates: Sequence[str], rules: MatchSettings) -> None:
        self.rules = rules
        self._table = canon_table(rules.confusion_groups)
        # Tuples, not lists: a tuple of strings leaves the garbage collector's walks after its
        # first one, a list of a million is walked on every full collection (~20 ms each).
        self.plates = tuple(plates)
        self._canon = tuple(p.translate(self._table) for p in self.plates)
        # Base-36 digit of each character's canonical form (for keys built by arithmetic).
        self._canon_digit = {c: int(c.translate(self._table), 36) for c in ALPHABET}
        self._keys, self._slots = self._build_keys()
        self._bits = KeyFilter(self._keys)
        self._wild: dict[str, list[tuple[int, re.Pattern[str]]]] = defaultdict(list)
        for slot, plate in enumerate(self.plates):
            if "*" in plate or "?" in plate:
                self._add_wildcard(slot, plate)

    def _build_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys of every canonical plate and its one-character deletions, vectorised per plate
        length; sorted, with the slot each key belongs to."""
        by_len: dict[int, list[int]] = defaultdict(list)
        for slot, c in enumerate(self._canon):
            if 0 < len(c) <= MAX_KEY_LENGTH and c.isalnum():
                by_len[len(c)].append(slot)
        keys, slots = [np.empty(0, np.int64)], [np.empty(0, np.int32)]
        for length, members in by_len.items():
            idx = np.asarray(members, dtype=np.int32)
            raw = "".join(self._canon[s] for s in members).encode("ascii")
            digits = _DIGIT[np.frombuffer(raw, dtype=np.uint8).reshape(-1, length)]
            keys.append(_keys_of(digits))
            slots.append(idx)
            if length > 1:
                for i in range(length):
                    keys.append(_keys_of(np.delete(digits, i, axis=1)))
                    slots.append(idx)
        key_arr, slot_arr = np.concatenate(keys), np.concatenate(slots)
        order = np.argsort(key_arr, kind="stable")
        return key_arr[order], slot_arr[order]

    def _add_wildcard(self, slot: int, plate: str) -> None:
        canon = plate.translate(self._table)
        literal = re.split(r"[*?]", canon, maxsplit=1)[0][:2]
        body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in canon)
        self._wild[literal].append((slot, re.compile(body)))

    def __len__(self) -> int:
        return len(self.plates)

    def lattice_candidates(
        self,
        plate: str,
        lattice: lat.Lattice,
        bg: PlateModel,
        policy: lat.Policy | None = None,
        tables: lat.Tables | None = None,
    ) -> list[Candidate]:
        """Entries ``plate`` may hit, best first: the read itself (exact), entries through its
        top-k alternatives or within one edit (lattice; ``hotlist.lattice.accepted`` decides;
        with a ``policy``, those that cannot hit under it are left out early) and wildcards.
        ``bg``: the background of the read's region; ``tables``: the read's lattice tables
        (``hotlist.lattice.Tables``), built here when not given."""
        rules = self.rules
        if tables is None:
            tables = lat.Tables(lattice, rules.lattice_floor)
        canon = plate.translate(self._table)
        found: set[int] = set()
        if len(self._keys) and 0 < len(plate) <= MAX_KEY_LENGTH:
            found = self._probe(canon, lattice, bg, tables)
        out = self._wildcards(plate, canon)
        if found:
            out += self._scored(plate, found, tables, bg, policy)
        out.sort(key=lambda c: (c.score, c.slot))
        return out

    def _scored(
        self,
        plate: str,
        found: set[int],
        tables: lat.Tables,
        bg: PlateModel,
        policy: lat.Policy | None,
    ) -> list[Candidate]:
        """The ``found`` slots as candidates of the read ``plate`` (those ``policy`` leaves)."""
        out: list[Candidate] = []
        rules = self.rules
        bg_plate = bg.log_prob(plate)
        top = tables.log_q(plate) - bg_plate
        plates, n = self.plates, len(plate)
        for slot in found:
            entry = plates[slot]
            if entry == plate:
                out.append(Candidate(slot, "exact", 0.0, (), 0.0, top))
            elif len(entry) == n:
                change = tables.change(plate, entry)
                bg_entry = bg.log_prob(entry)
                if policy is None or lat.may_reach(change + (bg_entry - bg_plate), entry, policy):
                    llr = top + change - bg_entry + bg_plate
                    out.append(_substituted(slot, plate, entry, top, llr))
            elif abs(len(entry) - n) == 1 and (
                policy is None or lat.may_reach(None, entry, policy)
            ):
                llr, diff = _indel(plate, entry, tables)
                llr += _log(rules.lattice_indel) - bg.log_prob(entry)
                dist = float(len(diff))
                out.append(Candidate(slot, "lattice", dist, diff, max(0.0, top - llr), llr))
            # else: a key collision between lengths two apart
        return out

    def _probe(
        self,
        canon: str,
        lattice: lat.Lattice,
        bg: PlateModel,
        tables: lat.Tables | None = None,
    ) -> set[int]:
        """Slots under the read's keys: its canonical plate, its strings through the lattice's
        likeliest substitutions and its one-character deletions (each key probed once).
        Most probes find nothing: the filter leaves them out before the binary search."""
        probes = self._few_change_keys(lattice, bg, tables)
        if probes is None:
            limit = self.rules.lattice_max_paths
            _, best, changes = lat.substitutions(lattice, bg, float("-inf"), limit, tables)
            probes = set(self._change_keys(best, changes))
        probes.update(_deletion_keys(canon))
        # Keys are integers: a key's end is where the next integer would start.
        needles = self._bits.bounds(probes)
        if not needles:
            return set()
        ends = self._keys.searchsorted(np.array(needles, np.int64)).tolist()
        found: set[int] = set()
        slots = self._slots
        for a, b in zip(ends[::2], ends[1::2], strict=True):
            if b > a:
                found.update(slots[a:b].tolist())
        return found

    def _few_change_keys(
        self, lattice: lat.Lattice, bg: PlateModel, tables: lat.Tables | None
    ) -> set[int] | None:
        """The keys ``_change_keys`` gives for ``lattice.substitutions``' changes, but the read's
        own canonical key (probed anyway), when the lattice has no more changes than the probe
        takes (``lattice_max_paths``) or all of its changes are to look-alikes: then the keys
        need no change's value, only the top string's look-alike classes (None otherwise)."""
        if tables is None or None in tables.raw:
            return None
        raws = cast(list[list[tuple[str, float]]], tables.raw)
        classes = tables.classes
        if None not in classes:  # every change is to a look-alike: the read's own key
            return set() if _ALNUM_SET.issuperset(classes) else None
        if not _ALNUM_SET.issuperset([c for c in classes if c is not None]):
            return None
        chars: list[str] = []
        doubts: list[tuple[int, str]] = []  # changes to another class than the top's
        count = same = 0  # changes, and pairs of them at one position
        for i, (lb, raw, shared) in enumerate(
            zip(bg.log_chars(len(lattice)), raws, classes, strict=True)
        ):
            k = len(raw) - 1
            count, same = count + k, same + k * (k - 1) // 2
            if shared is not None:
                chars.append(shared)
            else:
                top = max([(v - lb[c], c) for c, v in raw])[1]  # as the sorted column's first
                chars.append(top)
                doubts += [(i, c) for c, _ in raw if c != top]
        if count + count * (count - 1) // 2 - same > self.rules.lattice_max_paths:
            return None
        canon = "".join(chars).translate(self._table)
        digit, width = self._canon_digit, len(canon)
        if width != len(chars) or not (canon.isascii() and canon.isalnum()):
            return None
        base = plate_key(canon)
        try:
            deltas = [(i, (digit[c] - digit[canon[i]]) * _STEP[width - 1 - i]) for i, c in doubts]
        except KeyError:
            return None
        keys = {base}
        for i, delta in deltas:
            if delta:
                keys.add(base + delta)
                keys.update([base + delta + other for j, other in deltas if j != i and other])
        return keys

    def _change_keys(self, best: str, changes: list[tuple[float, lat.Change]]) -> list[int]:
        """``plate_key`` of the canonical form of ``best`` with each change applied, by
        arithmetic on the key rather than building strings."""
        canon = best.translate(self._table)
        base, n = plate_key(canon), len(canon)
        digit = self._canon_digit
        out = [base]
        for _, change in changes:
            key = base
            for i, ch in change:
                key += (digit[ch] - digit[canon[i]]) * _STEP[n - 1 - i]
            out.append(key)
        return out

    def _wildcards(self, plate: str, canon: str) -> list[Candidate]:
        if not self._wild:
            return []
        out = []
        for prefix in {"", canon[:1], canon[:2]}:
            for slot, pattern in self._wild.get(prefix, ()):
                if pattern.fullmatch(canon):
                    out.append(Candidate(slot, "wildcard", 0.0, (), 0.5))
        return out


def _substituted(slot: int, plate: str, entry: str, top: float, llr: float) -> Candidate:
    diff = tuple((i, r, e) for i, (r, e) in enumerate(zip(plate, entry, strict=True)) if r != e)
    return Candidate(slot, "lattice", float(len(diff)), diff, max(0.0, top - llr), llr)


class KeyFilter:
    """A Bloom filter (one hash) over the index's keys: ``maybe`` keeps every key that is in
    the index and few that are not (about 1 in 16), one byte read per key where a binary
    search over millions of keys touches a dozen cache lines. 16 bits per key."""

    __slots__ = ("_bits", "_shift")

    def __init__(self, keys: np.ndarray) -> None:
        width = max(10, int(len(keys) * 16).bit_length())
        self._shift = 64 - width
        marks = np.zeros(1 << width, dtype=bool)
        # Fibonacci hashing: the top ``width`` bits of the key times 2^64 / phi, mod 2^64.
        marks[(keys.astype(np.uint64) * np.uint64(_FIB)) >> np.uint64(self._shift)] = True
        self._bits = np.packbits(marks, bitorder="little").tobytes()

    def maybe(self, keys: list[int]) -> list[int]:
        """The ``keys`` that may be in the index, in their order."""
        return self.bounds(keys)[::2]

    def bounds(self, keys: Iterable[int]) -> list[int]:
        """Each of the ``keys`` that may be in the index followed by its end (the key plus one):
        the needles of one ``searchsorted`` for the range of each key."""
        bits, shift = self._bits, self._shift
        out: list[int] = []
        for k in keys:
            h = ((k * _FIB) & _MASK64) >> shift
            if bits[h >> 3] >> (h & 7) & 1:
                out += (k, k + 1)
        return out


_FIB, _MASK64 = 0x9E3779B97F4A7C15, (1 << 64) - 1


def _log(p: float) -> float:
    return float(np.log(p)) if p > 0 else float("-inf")


def _indel(read: str, entry: str, tables: lat.Tables) -> tuple[float, Diff]:
    """The best alignment of ``entry`` (one character longer or shorter) on the read's lattice:
    its log q and the diff (a dropped character as ``(j, "", c)``, an extra one as
    ``(j, c, "")``)."""
    best: tuple[float, Diff] = (float("-inf"), ())
    # The first best alignment (as ``max`` keeps it); its diff built only when it is better.
    if len(entry) == len(read) - 1:
        for j in range(len(read)):
            value = tables.log_q_without(entry, j)
            if value > best[0]:
                rest = read[:j] + read[j + 1 :]
                pairs = [
                    (i if i < j else i + 1, r, e)
                    for i, (r, e) in enumerate(zip(rest, entry, strict=True))
                ]
                diff = tuple(sorted([(j, read[j], ""), *(p for p in pairs if p[1] != p[2])]))
                best = (value, diff)
    else:
        for j in range(len(entry)):
            rest = entry[:j] + entry[j + 1 :]
            value = tables.log_q(rest)
            if value > best[0]:
                pairs = [(i, r, e) for i, (r, e) in enumerate(zip(read, rest, strict=True))]
                diff = tuple(sorted([(j, "", entry[j]), *(p for p in pairs if p[1] != p[2])]))
                best = (value, diff)
    return best


# Base-36 digit of each ASCII code (A-Z0-9); a plate's key is its base-36 value * 16 + length,
# exact (no collisions) for up to 10 characters and computed by ``int(text, 36)`` on a read.
_DIGIT = np.zeros(256, dtype=np.int64)
for _i, _ch in enumerate(DIGITS + LETTERS):
    _DIGIT[ord(_ch)] = _i


_STEP = [36**i * 16 for i in range(MAX_KEY_LENGTH + 1)]  # a key's weight of each position


_ALNUM_SET = frozenset(ALPHABET)


def plate_key(text: str) -> int:
    return int(text, 36) * 16 + len(text) if text else 0


def _deletion_keys(canon: str) -> list[int]:
    """``plate_key`` of the canonical plate and of each of its one-character deletions (by
    arithmetic on the plate's base-36 value when it is plain ASCII letters and digits)."""
    n = len(canon)
    if not (canon.isascii() and canon.isalnum()):
        return [plate_key(canon), *(plate_key(d) for d in deletions(canon) if d)]
    value = int(canon, 36)
    out = [value * 16 + n]
    if n > 1:
        pow36 = _POW36
        out += [
            (value // pow36[n - i] * pow36[n - 1 - i] + value % pow36[n - 1 - i]) * 16 + n - 1
            for i in range(n)
        ]
    return out


_POW36 = [36**i for i in range(MAX_KEY_LENGTH + 2)]


def _keys_of(digits: np.ndarray) -> np.ndarray:
    """``plate_key`` of each row of base-36 digits."""
    acc = np.zeros(digits.shape[0], dtype=np.int64)
    for j in range(digits.shape[1]):
        acc = acc * 36 + digits[:, j]
    return acc * 16 + digits.shape[1]
