"""The match index: symmetric-delete keys over confusable-canonical plates.

Every plate is first mapped to its *canonical* form (each confusion group collapses to its first
character: ``8`` → ``B``, ``0``/``Q``/``D`` → ``O``...), so confusable substitutions cost nothing
to find. One further edit (substitution, missing or extra character) is found with
symmetric-delete keys: an entry is stored under its canonical plate and every one-character
deletion of it; a read looks up its canonical plate and its own deletions. Two strings within one
edit always share a key, so a lookup is a dozen hash probes into one sorted ``int64`` array, never
a scan. Candidates are then verified exactly (hash collisions and two-substitution look-alikes are
dropped) and described: match type, distance and the differing characters.

A read that carries a per-character lattice is matched differently (``lattice_candidates``):
the strings through its top-k alternatives that could clear the score threshold of
``hotlist.lattice`` are probed by key (computed by arithmetic on the read's own key), and every
entry found is scored by likelihood ratio; the look-alike rules then only serve reads without a
lattice, wildcards and one-character indels on small lists.

Wildcard entries (``ABC*``, ``A?C123``) are few; they live in buckets keyed by their literal
prefix and are checked with a compiled pattern.
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
CONFUSABLE_COST = 0.25  # distance of one confusable substitution (an other edit costs 1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry (by position in the index) that a read matches, and how."""

    slot: int
    match_type: str  # exact | confusable | fuzzy | wildcard
    distance: float
    diff: tuple[tuple[int, str, str], ...]  # (position, read char, entry char); "" = none
    score: float  # lower is better: distance weighted by the read's character confidences
    llr: float | None = None  # lattice log-likelihood ratio (``hotlist.lattice``) when scored


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

    def __init__(
        self,
        plates: Sequence[str],
        rules: MatchSettings,
        fuzzy: Sequence[bool] | None = None,
    ) -> None:
        """``fuzzy[slot]`` says whether that plate may match with an other edit (default all)."""
        self.rules = rules
        self._fuzzy = fuzzy
        self._table = canon_table(rules.confusion_groups if rules.confusable else [])
        self.plates = list(plates)
        self._canon = [p.translate(self._table) for p in self.plates]
        self._edits = rules.max_other_edits > 0
        self._min_len = rules.min_length_for_edits
        self._any_fuzzy = self._edits and (fuzzy is None or any(fuzzy))
        # Base-36 digit of each character's canonical form (for keys built by arithmetic).
        self._canon_digit = {c: int(c.translate(self._table), 36) for c in _ALNUM}
        self._keys, self._slots = self._build_keys()
        self._wild: dict[str, list[tuple[int, re.Pattern[str]]]] = defaultdict(list)
        for slot, plate in enumerate(self.plates):
            if "*" in plate or "?" in plate:
                self._add_wildcard(slot, plate)

    def _build_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys of every canonical plate and (for long enough plates) its one-character
        deletions, vectorised per plate length; sorted, with the slot each key belongs to."""
        by_len: dict[int, list[int]] = defaultdict(list)
        for slot, c in enumerate(self._canon):
            if 0 < len(c) <= MAX_KEY_LENGTH and "*" not in c and "?" not in c:
                by_len[len(c)].append(slot)
        keys, slots = [np.empty(0, np.int64)], [np.empty(0, np.int32)]
        for length, members in by_len.items():
            idx = np.asarray(members, dtype=np.int32)
            raw = "".join(self._canon[s] for s in members).encode("ascii")
            digits = _DIGIT[np.frombuffer(raw, dtype=np.uint8).reshape(-1, length)]
            keys.append(_keys_of(digits))
            slots.append(idx)
            if self._edits and length >= self._min_len:
                if self._fuzzy is not None:
                    keep = np.asarray([self._fuzzy[s] for s in members], dtype=bool)
                    idx, digits = idx[keep], digits[keep]
                for i in range(length):
                    keys.append(_keys_of(np.delete(digits, i, axis=1)))
                    slots.append(idx)
        key_arr, slot_arr = np.concatenate(keys), np.concatenate(slots)
        order = np.argsort(key_arr)
        return key_arr[order], slot_arr[order]

    def _add_wildcard(self, slot: int, plate: str) -> None:
        canon = plate.translate(self._table)
        literal = re.split(r"[*?]", canon, maxsplit=1)[0][:2]
        body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in canon)
        self._wild[literal].append((slot, re.compile(body)))

    def __len__(self) -> int:
        return len(self.plates)

    def candidates(self, plate: str, confidences: Sequence[float] | None = None) -> list[Candidate]:
        """Every slot the read ``plate`` matches under the rules, best first."""
        canon = plate.translate(self._table)
        probes = [canon]
        if self._edits and len(canon) >= self._min_len:
            probes.extend(deletions(canon))
        found: set[int] = set()
        if len(self._keys) and len(canon) <= MAX_KEY_LENGTH:
            hashes = np.array([plate_key(p) for p in probes], dtype=np.int64)
            lo = np.searchsorted(self._keys, hashes, "left").tolist()
            hi = np.searchsorted(self._keys, hashes, "right").tolist()
            for a, b in zip(lo, hi, strict=True):
                if b > a:
                    found.update(self._slots[a:b].tolist())
        out = [c for s in found if (c := self._verify(plate, canon, s, confidences)) is not None]
        out.extend(self._wildcards(plate, canon))
        if self.rules.fuzzy_only_without_closer and any(
            c.distance < 1 for c in out if c.match_type != "wildcard"
        ):
            out = [c for c in out if c.match_type != "fuzzy"]
        out.sort(key=lambda c: (c.score, c.slot))
        return out

    def lattice_candidates(
        self, plate: str, lattice: lat.Lattice, min_score: float, bg: lat.Background
    ) -> list[Candidate]:
        """Entries of ``plate``'s length scored on its lattice: the read itself, every string
        through the top-k alternatives scoring at least ``min_score`` (looked up by key) and
        the one-edit neighbours; exact ones always kept, others only at ``min_score``. ``bg``:
        the background of the read's region."""
        rules = self.rules
        _, best, changes = lat.substitutions(
            lattice, bg, min_score - lat.ENUM_SLACK, rules.lattice_max_paths
        )
        canon = plate.translate(self._table)
        found: set[int] = set()
        if len(self._keys) and len(plate) <= MAX_KEY_LENGTH:
            hashes = np.array([plate_key(canon), *self._change_keys(best, changes)], np.int64)
            lo = np.searchsorted(self._keys, hashes, "left").tolist()
            hi = np.searchsorted(self._keys, hashes, "right").tolist()
            for a, b in zip(lo, hi, strict=True):
                if b > a:
                    found.update(self._slots[a:b].tolist())
        out = []
        for cand in self.candidates(plate) if self._any_fuzzy else self._wildcards(plate, canon):
            if cand.match_type == "wildcard" or len(self.plates[cand.slot]) != len(plate):
                out.append(cand)  # not scorable on the lattice: the look-alike rules decide
            else:
                found.add(cand.slot)
        top = lat.score(plate, lattice, bg, rules.lattice_floor)
        for slot in found:
            entry = self.plates[slot]
            llr = lat.score(entry, lattice, bg, rules.lattice_floor)
            if entry != plate and llr < min_score:
                continue
            diff = tuple(
                (i, r, e) for i, (r, e) in enumerate(zip(plate, entry, strict=True)) if r != e
            )
            kind = "lattice" if diff else "exact"
            out.append(Candidate(slot, kind, float(len(diff)), diff, max(0.0, top - llr), llr))
        out.sort(key=lambda c: (c.score, c.slot))
        return out

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

    def _verify(
        self, read: str, rcanon: str, slot: int, conf: Sequence[float] | None
    ) -> Candidate | None:
        entry, ecanon = self.plates[slot], self._canon[slot]
        if read == entry:
            return Candidate(slot, "exact", 0.0, (), 0.0)
        diff: list[tuple[int, str, str]] = []
        other = 0
        if len(read) == len(entry):
            for i, (r, e) in enumerate(zip(read, entry, strict=True)):
                if r != e:
                    diff.append((i, r, e))
                    other += rcanon[i] != ecanon[i]
            if other > 1:
                return None
        else:
            edit = _one_indel(rcanon, ecanon) if self.rules.fuzzy_indels else None
            if edit is None:
                return None
            pos, extra = edit
            other = 1
            if extra:
                diff.append((pos, read[pos], ""))
                rest = read[:pos] + read[pos + 1 :]
                pairs = [
                    (i if i < pos else i + 1, r, e)
                    for i, (r, e) in enumerate(zip(rest, entry, strict=True))
                ]
            else:
                diff.append((pos, "", entry[pos]))
                rest = entry[:pos] + entry[pos + 1 :]
                pairs = [(i, r, e) for i, (r, e) in enumerate(zip(read, rest, strict=True))]
            diff.extend(p for p in pairs if p[1] != p[2])
            diff.sort()
        return self._judge(read, slot, tuple(diff), other, conf)

    def _judge(
        self,
        read: str,
        slot: int,
        diff: tuple[tuple[int, str, str], ...],
        other: int,
        conf: Sequence[float] | None,
    ) -> Candidate | None:
        rules = self.rules
        n_conf = len(diff) - other
        if n_conf > rules.max_confusable:
            return None
        if conf and sum(conf) / len(conf) < rules.inexact_min_read_confidence:
            return None
        if other:
            if not self._edits or min(len(read), len(self.plates[slot])) < self._min_len:
                return None
            if self._fuzzy is not None and not self._fuzzy[slot]:
                return None
            if not self._fuzzy_allowed(diff, conf):
                return None
        distance = n_conf * CONFUSABLE_COST + other
        score = distance + sum(_char_conf(conf, i) for i, r, _ in diff if r) * 0.5
        return Candidate(slot, "fuzzy" if other else "confusable", distance, diff, score)

    def _fuzzy_allowed(
        self, diff: tuple[tuple[int, str, str], ...], conf: Sequence[float] | None
    ) -> bool:
        limit = self.rules.fuzzy_max_char_confidence
        if conf is None or limit >= 1.0:
            return True
        table = self._table
        for i, r, e in diff:
            is_other = not r or not e or r.translate(table) != e.translate(table)
            if is_other and r and _char_conf(conf, i) >= limit:
                return False
        return True


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


def _char_conf(conf: Sequence[float] | None, i: int) -> float:
    if conf is None or i >= len(conf):
        return 0.5
    return float(conf[i])


def _one_indel(a: str, b: str) -> tuple[int, bool] | None:
    """If ``a`` becomes ``b`` by deleting one character of ``a`` (extra=True) or ``b`` (False),
    the position in the longer string; else None."""
    if len(a) == len(b) + 1:
        longer, shorter, extra = a, b, True
    elif len(b) == len(a) + 1:
        longer, shorter, extra = b, a, False
    else:
        return None
    i = 0
    while i < len(shorter) and longer[i] == shorter[i]:
        i += 1
    if longer[i + 1 :] == shorter[i:]:
        return i, extra
    return None
