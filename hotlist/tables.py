"""A read's lattice as tables of logs, built once per read and shared by every step of a match
(``hotlist.lattice``'s rule, ``hotlist.index``'s probe and candidates).

Every value is computed exactly as the plain formulas compute it (``log(max(q, floor))`` per
character, ``log(p)`` for the enumeration), only once: a match scores dozens of strings on the
same lattice, and per-character logs were most of its time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rtcc.plate_formats import ALPHABET

ALNUM_COUNT = len(ALPHABET)  # the characters a position's leftover mass is shared by

Lattice = tuple[dict[str, float], ...]


def alternatives_dist(
    ch: str, alts: Sequence[tuple[str, float]], looks: str, lookalike_floor: float
) -> dict[str, float]:
    """One position of a read's lattice from its alternatives (which name ``ch``): each
    character at its probability, ``ch`` at least 1e-9, each of ``looks`` (the look-alikes of
    ``ch``) at least ``lookalike_floor``."""
    dist = {c: float(p) for c, p in alts if p > 0 and c in ALPHABET}
    if dist.get(ch, 0.0) < 1e-9:
        dist[ch] = 1e-9
    return _with_lookalikes(dist, looks, lookalike_floor)


def confidence_dist(
    ch: str, conf: float | None, looks: str, lookalike_floor: float
) -> dict[str, float]:
    """One position of a read's lattice without alternatives: ``ch`` at its confidence (1
    without one), each of ``looks`` at least ``lookalike_floor``."""
    dist = {ch: min(1.0, max(float(conf), 1e-9)) if conf is not None else 1.0}
    return _with_lookalikes(dist, looks, lookalike_floor)


def _with_lookalikes(dist: dict[str, float], looks: str, floor: float) -> dict[str, float]:
    for other in looks:
        if dist.get(other, 0.0) < floor:
            dist[other] = floor
    return dist


def rest_prob(dist: dict[str, float], floor: float) -> float:
    """Probability of one character outside the top-k."""
    left = max(0.0, 1.0 - sum(dist.values())) / max(1, ALNUM_COUNT - len(dist))
    return max(left, floor)


class Tables:
    """A read's lattice for scoring many strings on it, built once per read: per position the
    log probability ``log(max(q, floor))`` of each top-k character (``logs``), and each
    position's leftover probability (``rest_prob``) computed once, when first needed."""

    __slots__ = ("classes", "floor", "lattice", "logs", "raw", "rest")

    def __init__(self, lattice: Lattice, floor: float) -> None:
        self.lattice, self.floor = lattice, floor
        # Per position: the look-alike class all its characters share (``Columns``), if known.
        self.classes: list[str | None] = [None] * len(lattice)
        self.rest: list[float | None] = [None] * len(lattice)
        self.logs: list[dict[str, float]] = [_floored_logs(dist, floor) for dist in lattice]
        self.raw: list[list[tuple[str, float]] | None] = [None] * len(lattice)

    def rest_log(self, i: int) -> float:
        value = self.rest[i]
        if value is None:
            value = self.rest[i] = math.log(max(rest_prob(self.lattice[i], self.floor), self.floor))
        return value

    def log_q(self, entry: str) -> float:
        """log of the read's probability of ``entry`` (same length) under its lattice alone."""
        total = 0.0
        try:  # the same sum when every character is in its position's top-k
            for ch, logs in zip(entry, self.logs, strict=True):
                total += logs[ch]
            return total
        except KeyError:
            total = 0.0
        for i, (ch, logs) in enumerate(zip(entry, self.logs, strict=True)):
            x = logs.get(ch)
            total += x if x is not None else self.rest_log(i)
        return total

    def change(self, plate: str, entry: str) -> float:
        """``log_q(entry) - log_q(plate)`` from the positions where they differ alone."""
        total = 0.0
        for i, (r, e) in enumerate(zip(plate, entry, strict=True)):
            if r != e:
                logs = self.logs[i]
                x = logs.get(e)
                total += x if x is not None else self.rest_log(i)
                x = logs.get(r)
                total -= x if x is not None else self.rest_log(i)
        return total

    def raw_logs(self, i: int) -> list[tuple[str, float]]:
        """Position ``i``'s top-k characters with ``log(p)`` (not floored)."""
        value = self.raw[i]
        if value is None:
            value = self.raw[i] = _raw_logs(self.lattice[i], self.logs[i], self.floor)
        return value

    def log_q_without(self, entry: str, j: int) -> float:
        """``drop(j).log_q(entry)``: ``entry`` on the lattice without position ``j``."""
        if len(entry) != len(self.logs) - 1:
            raise ValueError("the entry is not one character shorter than the lattice")
        total = 0.0
        logs = self.logs
        for i, ch in enumerate(entry):
            k = i if i < j else i + 1
            x = logs[k].get(ch)
            total += x if x is not None else self.rest_log(k)
        return total

    def drop(self, j: int) -> Tables:
        """The tables of the lattice without position ``j``."""
        out = Tables.__new__(Tables)
        out.lattice, out.floor = self.lattice[:j] + self.lattice[j + 1 :], self.floor
        out.logs = self.logs[:j] + self.logs[j + 1 :]
        out.rest = self.rest[:j] + self.rest[j + 1 :]
        out.raw = self.raw[:j] + self.raw[j + 1 :]
        out.classes = self.classes[:j] + self.classes[j + 1 :]
        return out


def raw_logs_of(lattice: Lattice, tables: Tables | None, i: int) -> list[tuple[str, float]]:
    """Position ``i``'s characters with ``log(p)``: from the read's tables when given."""
    if tables is not None:
        return tables.raw_logs(i)
    return [(c, math.log(p)) for c, p in lattice[i].items()]


def _floored_logs(dist: dict[str, float], floor: float) -> dict[str, float]:
    """``log(max(p, floor))`` of each character of a position."""
    log, log_floor = math.log, math.log(floor)
    return {c: log(p) if p >= floor else log_floor for c, p in dist.items()}


def _raw_logs(
    dist: dict[str, float], logs: dict[str, float], floor: float
) -> list[tuple[str, float]]:
    return [(c, logs[c] if p >= floor else math.log(p)) for c, p in dist.items()]


# dist, logs, rest, raw logs, the look-alike class shared by all its characters (or None)
Column = tuple[dict[str, float], dict[str, float], float, list[tuple[str, float]], str | None]


class Columns:
    """Positions of reads' lattices with their tables, memoised: a position's distribution and
    logs depend on its character and its alternatives (or confidence) alone, and most positions
    of most reads are sure characters at a probability rounded to four places. The values are
    those ``lattice_of`` and ``Tables`` compute; a memoised position is shared between reads and
    never mutated (nothing writes a lattice's dicts)."""

    __slots__ = ("_alts", "_conf", "canon", "floor", "lookalike_floor", "lookalikes", "size")

    def __init__(
        self,
        lookalikes: dict[str, str],
        lookalike_floor: float,
        floor: float,
        canon: dict[int, int],
        size: int = 1 << 14,
    ) -> None:
        """``canon``: the translation of each character to its look-alike class."""
        self.canon = canon
        self.lookalikes = lookalikes if lookalikes and lookalike_floor > 0 else {}
        self.lookalike_floor, self.floor, self.size = lookalike_floor, floor, size
        self._alts: dict[tuple[str, object], Column | None] = {}
        self._conf: dict[tuple[str, object], Column | None] = {}

    def read(
        self,
        plate: str,
        alternatives: Sequence[Sequence[tuple[str, float]]] | None,
        confidences: Sequence[float] | None,
    ) -> tuple[Lattice, Tables]:
        """The lattice of a read (as ``lattice_of``) and its ``Tables``."""
        n = len(plate)
        cols = None
        if alternatives is not None and len(alternatives) == n:
            cols = self._columns(plate, alternatives, self._alts)
        if cols is None:
            conf = confidences if confidences and len(confidences) == n else None
            cols = self._columns(plate, conf or [None] * n, self._conf)
        assert cols is not None
        out = Tables.__new__(Tables)
        out.floor = self.floor
        if cols:
            dists, logs, rests, raws, classes = zip(*cols, strict=True)
        else:
            dists = logs = rests = raws = classes = ()
        out.lattice = dists
        out.logs, out.rest, out.raw = list(logs), list(rests), list(raws)
        out.classes = list(classes)
        return out.lattice, out

    def _columns(
        self, plate: str, per_char: Sequence[object], memo: dict[tuple[str, object], Column | None]
    ) -> list[Column] | None:
        """Each character's column from its alternatives (None when one does not name its
        character) or its confidence."""
        cols: list[Column] = []
        alternatives = memo is self._alts
        for ch, given in zip(plate, per_char, strict=True):
            if alternatives and len(given) != 1:  # type: ignore[arg-type]
                col, hashable = _MISSING, False  # a doubtful position: seldom seen twice
            else:
                try:
                    col = memo.get((ch, given), _MISSING)
                    hashable = True
                except TypeError:  # unhashable alternatives: not memoised
                    col, hashable = _MISSING, False
            if col is _MISSING:
                col = self._column(ch, given, alternatives)
                if hashable:
                    if len(memo) >= self.size:
                        memo.clear()
                    memo[(ch, given)] = col
            if col is None:
                return None
            cols.append(col)  # type: ignore[arg-type]
        return cols

    def _column(self, ch: str, given: object, alternatives: bool) -> Column | None:
        looks = self.lookalikes.get(ch, "")
        if not alternatives:
            dist = confidence_dist(ch, given, looks, self.lookalike_floor)  # type: ignore[arg-type]
        elif any(c == ch for c, _ in given):  # type: ignore[attr-defined]
            dist = alternatives_dist(ch, given, looks, self.lookalike_floor)  # type: ignore[arg-type]
        else:
            return None
        floor, log = self.floor, math.log
        log_floor = log(floor)
        logs: dict[str, float] = {}
        raw: list[tuple[str, float]] = []
        for c, p in dist.items():  # as ``_floored_logs`` and ``_raw_logs``, in one pass
            if p >= floor:
                logs[c] = value = log(p)
            else:
                logs[c], value = log_floor, log(p)
            raw.append((c, value))
        rest = log(max(rest_prob(dist, floor), floor))
        classes = {c.translate(self.canon) for c in dist}
        shared = classes.pop() if len(classes) == 1 else None
        return (dist, logs, rest, raw, shared)


_MISSING = object()
