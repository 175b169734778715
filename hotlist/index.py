"""The match index: keys over look-alike-canonical plates and their one-character deletions.

Every plate is first mapped to its *canonical* form (each look-alike group collapses to its first
character: ``8`` -> ``B``, ``0``/``Q``/``D`` -> ``O``...), so look-alike strings share a key, and
one further edit (substitution, missing or extra character) is found with symmetric-delete keys:
an entry is stored under its canonical plate and every one-character deletion of it; a read
probes its canonical plate, its own deletions and the strings through its lattice's top-k
alternatives (keys computed by arithmetic on the read's own key). Two strings within one edit
always share a key, so a lookup is a few dozen probes into one sorted ``int64`` array, never a
scan. The key only finds candidates: every one is then scored on the read's lattice
(``hotlist.lattice``), which alone decides whether it hits.

Wildcard entries (``ABC*``, ``A?C123``) are few; they live in buckets keyed by their literal
prefix and are checked with a compiled pattern (look-alikes folded).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hotlist import lattice as lat
from rtcc.config import MatchSettings

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
        self.plates = list(plates)
        self._canon = [p.translate(self._table) for p in self.plates]
        # Base-36 digit of each character's canonical form (for keys built by arithmetic).
        self._canon_digit = {c: int(c.translate(self._table), 36) for c in _ALNUM}
        self._keys, self._slots = self._build_keys()
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
        bg: lat.Background,
        policy: lat.Policy | None = None,
    ) -> list[Candidate]:
        """Entries ``plate`` may hit, best first: the read itself (exact), entries through its
        top-k alternatives or within one edit (lattice; ``hotlist.lattice.accepted`` decides;
        with a ``policy``, those that cannot hit under it are left out early) and wildcards.
        ``bg``: the background of the read's region."""
        rules = self.rules
        _, best, changes = lat.substitutions(lattice, bg, float("-inf"), rules.lattice_max_paths)
        canon = plate.translate(self._table)
        found: set[int] = set()
        if len(self._keys) and 0 < len(plate) <= MAX_KEY_LENGTH:
            probes = [plate_key(canon), *self._change_keys(best, changes)]
            probes += [plate_key(d) for d in deletions(canon) if d]
            hashes = np.array(probes, np.int64)
            # Keys are integers: a key's end is where the next integer would start.
            ends = np.searchsorted(self._keys, np.concatenate([hashes, hashes + 1])).tolist()
            for a, b in zip(ends[: len(probes)], ends[len(probes) :], strict=True):
                if b > a:
                    found.update(self._slots[a:b].tolist())
        out = self._wildcards(plate, canon)
        top = lat.score(plate, lattice, bg, rules.lattice_floor)
        plates = self.plates
        for slot in found:
            entry = plates[slot]
            if (
                policy is not None
                and entry != plate
                and not lat.may_hit(plate, entry, lattice, bg, policy)
            ):
                continue
            cand = self._describe(plate, slot, lattice, bg, top)
            if cand is not None:
                out.append(cand)
        out.sort(key=lambda c: (c.score, c.slot))
        return out

    def _describe(
        self, plate: str, slot: int, lattice: lat.Lattice, bg: lat.Background, top: float
    ) -> Candidate | None:
        entry, floor = self.plates[slot], self.rules.lattice_floor
        if entry == plate:
            return Candidate(slot, "exact", 0.0, (), 0.0, top)
        if len(entry) == len(plate):
            change = lat.log_q_change(plate, entry, lattice, floor)
            llr = top + change - bg.log_prob_plate(entry) + bg.log_prob_plate(plate)
            diff = tuple(
                (i, r, e) for i, (r, e) in enumerate(zip(plate, entry, strict=True)) if r != e
            )
        elif abs(len(entry) - len(plate)) == 1:
            llr, diff = _indel(plate, entry, lattice, floor)
            llr += _log(self.rules.lattice_indel) - bg.log_prob_plate(entry)
        else:
            return None  # a key collision between lengths two apart
        return Candidate(slot, "lattice", float(len(diff)), diff, max(0.0, top - llr), llr)

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


def _log(p: float) -> float:
    return float(np.log(p)) if p > 0 else float("-inf")


def _indel(read: str, entry: str, lattice: lat.Lattice, floor: float) -> tuple[float, Diff]:
    """The best alignment of ``entry`` (one character longer or shorter) on the read's lattice:
    its log q and the diff (a dropped character as ``(j, "", c)``, an extra one as
    ``(j, c, "")``)."""
    best: tuple[float, Diff] = (float("-inf"), ())
    if len(entry) == len(read) - 1:
        for j in range(len(read)):
            sub = lattice[:j] + lattice[j + 1 :]
            rest = read[:j] + read[j + 1 :]
            pairs = [
                (i if i < j else i + 1, r, e)
                for i, (r, e) in enumerate(zip(rest, entry, strict=True))
            ]
            diff = tuple(sorted([(j, read[j], ""), *(p for p in pairs if p[1] != p[2])]))
            best = max(best, (lat.log_q(entry, sub, floor), diff), key=lambda b: b[0])
    else:
        for j in range(len(entry)):
            rest = entry[:j] + entry[j + 1 :]
            pairs = [(i, r, e) for i, (r, e) in enumerate(zip(read, rest, strict=True))]
            diff = tuple(sorted([(j, "", entry[j]), *(p for p in pairs if p[1] != p[2])]))
            best = max(best, (lat.log_q(rest, lattice, floor), diff), key=lambda b: b[0])
    return best


# Base-36 digit of each ASCII code (A-Z0-9); a plate's key is its base-36 value * 16 + length,
# exact (no collisions) for up to 10 characters and computed by ``int(text, 36)`` on a read.
_DIGIT = np.zeros(256, dtype=np.int64)
for _i, _ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _DIGIT[ord(_ch)] = _i


_STEP = [36**i * 16 for i in range(MAX_KEY_LENGTH + 1)]  # a key's weight of each position


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def plate_key(text: str) -> int:
    return int(text, 36) * 16 + len(text) if text else 0


def _keys_of(digits: np.ndarray) -> np.ndarray:
    """``plate_key`` of each row of base-36 digits."""
    acc = np.zeros(digits.shape[0], dtype=np.int64)
    for j in range(digits.shape[1]):
        acc = acc * 36 + digits[:, j]
    return acc * 16 + digits.shape[1]
