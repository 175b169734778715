"""Scoring hotlist plates against a read's OCR lattice: the one matching rule.

A read carries, per character, its likeliest characters with probabilities (``CharAlternatives``;
a read without them is given one from its per-character confidences). ``q_i`` is the read's
distribution at position ``i``: characters outside the top-k share the leftover mass, never less
than ``floor``, and each look-alike of a read character (``confusion_groups``) gets at least
``lookalike_floor``, because the OCR is overconfident exactly there (a sure 0 that was an O).
``B`` is the background of the read's region (``rtcc.plate_formats.PlateModel``, the model the
OCR decoder's format prior is too: weighted formats, letters a region seldom issues rarer, vanity
plates), the prior of the plate behind a read; ``score`` is the log-likelihood ratio
``log q(E) - log B(E)`` recorded on a hit.

Decision. The read's posterior on a string ``E`` of its length is
``P(E) = (1 - 2 indel) q(E) B(E) / Z``, ``Z`` summed over the read's likeliest strings and the
strings one substitution away by a character outside a position's top-k. A string one character
longer or shorter (the OCR dropped or added one) shares the probability ``indel`` of each kind
(``indel_posterior``). A listed ``E`` other than the read itself is a hit when

    P(E) >= min_odds * (1 - P(E)) * chance(E)

where ``chance(E)`` is the probability that ``E`` is on the lists by coincidence, measured on
the lists themselves (``ListDensity``: the share of strings of ``E``'s letter/digit shape that
are listed). That is a Bayes factor of at least ``min_odds`` for "the read is ``E``" against
"``E`` is listed and the read is another plate", and it bounds a read's expected false hits by
its accepted posterior over ``min_odds``. Which look-alikes, which substitutions, whether a
dropped character may hit: all follow from the read's doubts and the list's density (a
million-entry list is dense in the common formats, so a lone doubtful character must carry more
posterior there than on a list of fifty), not from fixed groups or list-size switches. A sure
read keeps a floor ``min_posterior`` under which nothing hits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hotlist import tables as tbl
from hotlist.tables import Lattice, Tables
from hotlist.tables import rest_prob as _rest
from rtcc.plate_formats import DIGITS, LETTERS, PlateModel, shape
from rtcc.plates import CharAlternatives


def lattice_of(
    plate: str,
    alternatives: CharAlternatives | None,
    confidences: Sequence[float] | None = None,
    lookalikes: dict[str, str] | None = None,
    lookalike_floor: float = 0.0,
) -> Lattice:
    """The read's per-position distributions: its ``alternatives`` when they cover every
    character of ``plate``, else each character at its confidence (1 without one); missing
    mass is spread as the floor. Each look-alike of a read character (``lookalikes``: a
    character to the others of its group) gets at least ``lookalike_floor``."""
    n = len(plate)
    covered = alternatives is not None and len(alternatives) == n
    if covered:
        assert alternatives is not None
        for ch, alts in zip(plate, alternatives, strict=True):
            if not any(c == ch for c, _ in alts):
                covered = False
                break
    conf = confidences if confidences and len(confidences) == n else None
    looks = lookalikes if lookalikes and lookalike_floor > 0 else {}
    if covered:
        assert alternatives is not None
        return tuple(
            tbl.alternatives_dist(ch, alts, looks.get(ch, ""), lookalike_floor)
            for ch, alts in zip(plate, alternatives, strict=True)
        )
    return tuple(
        tbl.confidence_dist(ch, conf[i] if conf else None, looks.get(ch, ""), lookalike_floor)
        for i, ch in enumerate(plate)
    )


def lookalike_map(groups: Sequence[str]) -> dict[str, str]:
    """``["O0QD", "B8"]`` -> ``{"O": "0QD", "0": "OQD", ..., "B": "8", "8": "B"}``."""
    out: dict[str, str] = {}
    for group in groups:
        for ch in group:
            out[ch] = out.get(ch, "") + "".join(c for c in group if c != ch)
    return out


def score(entry: str, lattice: Lattice, background: PlateModel, floor: float) -> float:
    """Log-likelihood ratio of the read if ``entry`` were the plate vs a random plate of the
    region; -inf for a different length (indels are not scored)."""
    if len(entry) != len(lattice):
        return -math.inf
    return log_q(entry, lattice, floor) - background.log_prob(entry)


def log_q(entry: str, lattice: Lattice, floor: float) -> float:
    """log of the read's probability of ``entry`` (same length) under its lattice alone."""
    return Tables(lattice, floor).log_q(entry)


def log_q_change(plate: str, entry: str, lattice: Lattice, floor: float) -> float:
    """``log_q(entry) - log_q(plate)`` for two strings of the lattice's length, from the
    positions where they differ alone."""
    return Tables(lattice, floor).change(plate, entry)


Change = tuple[tuple[int, str], ...]  # (position, character) substituted into the top string


def substitutions(
    lattice: Lattice,
    background: PlateModel,
    min_score: float,
    limit: int,
    tables: Tables | None = None,
) -> tuple[float, str, list[tuple[float, Change]]]:
    """The read's top string (and its score under the per-position summary of the background),
    and the changes one or two top-k substitutions away from it that keep the score at least
    ``min_score``, best first, at most ``limit`` (a bounded enumeration: three doubts at once
    are never worth a hit). ``tables``: the read's ``Tables``, when the caller has them."""
    logs = background.log_chars(len(lattice))
    raws = tables.raw if tables is not None else [None] * len(lattice)
    heads, chars, singles = [], [], []
    for i, lb in enumerate(logs):
        raw = raws[i] or tbl.raw_logs_of(lattice, tables, i)
        if len(raw) == 1:
            c, v = raw[0]
            heads.append(v - lb[c])
            chars.append(c)
        else:
            col = sorted([(v - lb[c], c) for c, v in raw], reverse=True)
            head = col[0][0]
            heads.append(head)
            chars.append(col[0][1])
            singles += [(head - v, i, ch) for v, ch in col[1:]]
    top = sum(heads)
    best = "".join(chars)
    room = top - min_score
    if room < 0:
        return top, best, []
    singles = sorted([s for s in singles if s[0] <= room])
    found: list[tuple[float, Change]] = [(top - d, ((i, ch),)) for d, i, ch in singles]
    # Pairs below the limit-th best value of a few known changes cannot make the cut: each
    # row of pairs stops there (values only fall along a row).
    cut = _cut(top, singles, room, limit)
    for a, (da, ia, ca) in enumerate(singles):
        head = top - da
        for db, ib, cb in singles[a + 1 :]:
            if da + db > room:
                break
            value = head - db
            if value < cut:
                break
            if ia != ib:
                found.append((value, ((ia, ca), (ib, cb))))
    found.sort(key=lambda f: -f[0])
    return top, best, found[:limit]


def _cut(top: float, singles: list[tuple[float, int, str]], room: float, limit: int) -> float:
    """A value at or under the ``limit``-th best of the changes: that of the single changes and
    the pairs with the first one (-inf when they are fewer than ``limit``)."""
    values = [top - d for d, _, _ in singles]
    if singles:
        d0, i0, _ = singles[0]
        head = top - d0
        values += [head - db for db, ib, _ in singles[1:] if ib != i0 and d0 + db <= room]
    if limit < 1 or len(values) < limit:
        return -math.inf
    values.sort(reverse=True)
    return values[limit - 1]


def paths(
    lattice: Lattice, background: PlateModel, min_score: float, limit: int
) -> list[tuple[float, str]]:
    """``substitutions`` as strings: the top string first (if it reaches ``min_score``)."""
    top, best, changes = substitutions(lattice, background, min_score, max(0, limit - 1))
    if top < min_score:
        return []
    out = [(top, best)]
    for value, change in changes:
        chars = list(best)
        for i, ch in change:
            chars[i] = ch
        out.append((value, "".join(chars)))
    return out


def likeliest(lattice: Lattice, limit: int, tables: Tables | None = None) -> list[str]:
    """The top string and up to ``limit`` strings one or two top-k substitutions from it, in
    order of the lattice's own probability (the background plays no part)."""
    cols = []
    for i in range(len(lattice)):
        raw = tbl.raw_logs_of(lattice, tables, i)
        if len(raw) == 1:
            cols.append([(raw[0][1], raw[0][0])])
        else:
            cols.append(sorted([(v, c) for c, v in raw], reverse=True))
    best = [c[0][1] for c in cols]
    singles = sorted(
        (c[0][0] - v, i, ch) for i, c in enumerate(cols) if len(c) > 1 for v, ch in c[1:]
    )
    found: list[tuple[float, Change]] = [(d, ((i, ch),)) for d, i, ch in singles]
    # As in ``substitutions``: pairs past the limit-th least drop of a few known changes.
    cut = -_cut(0.0, singles, math.inf, limit) if singles else math.inf
    for a, (da, ia, ca) in enumerate(singles):
        for db, ib, cb in singles[a + 1 :]:
            drop = da + db
            if drop > cut:
                break
            if ia != ib:
                found.append((drop, ((ia, ca), (ib, cb))))
    found.sort(key=lambda f: f[0])
    out = ["".join(best)]
    for _, change in found[:limit]:
        chars = list(best)
        for i, ch in change:
            chars[i] = ch
        out.append("".join(chars))
    return out


class ListDensity:
    """How likely a string is to be on the lists by coincidence, measured on the lists
    themselves: per letter/digit shape (``@@@####``), the share of that shape's strings that are
    listed. A format the region's background does not know, or a list of another region's
    plates, is priced as it is, not as the background assumes."""

    __slots__ = ("_share",)

    def __init__(self, plates: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for plate in plates:
            if plate.isalnum():
                key = shape(plate)
                counts[key] = counts.get(key, 0) + 1
        self._share = {
            key: n / (len(LETTERS) ** key.count("@") * len(DIGITS) ** key.count("#"))
            for key, n in counts.items()
        }

    def plus(self, other: ListDensity) -> ListDensity:
        """The density of both sets of lists together."""
        out = ListDensity(())
        out._share = dict(self._share)
        for key, share in other._share.items():
            out._share[key] = out._share.get(key, 0.0) + share
        return out

    def chance(self, text: str) -> float:
        """Probability that ``text``, not being the plate read, is listed all the same."""
        return self._share.get(shape(text), 0.0)


@dataclass(frozen=True, slots=True)
class Policy:
    """How inexact lattice hits are accepted (see the module docstring)."""

    listed: ListDensity
    min_odds: float
    min_posterior: float
    floor: float
    limit: int  # strings summed into the posterior's normaliser
    indel: float = 0.0  # probability that the OCR dropped (or, as much, added) one character


def _outside_mass(
    plate: str, lattice: Lattice, background: PlateModel, floor: float, tables: Tables
) -> float:
    """sum of q(X) B(X) over the strings one substitution from ``plate`` by a character outside
    its position's top-k: per position, all letters and all digits outside it (each at the
    position's leftover probability; ``B`` taken at one representative of each: the first
    outside letter, in practice ``A``, so the letters a region seldom issues (O in US serials)
    count as common ones: ``Z`` errs high, the posterior low)."""
    base = tables.log_q(plate)
    total = 0.0
    log_prob = background.log_prob
    mine = tables.floor == floor
    log_floor = math.log(floor)
    for i, dist in enumerate(lattice):
        if mine:
            own = tables.logs[i].get(plate[i])
            rest = tables.rest_log(i) - (own if own is not None else log_floor)
        else:
            rest = math.log(max(_rest(dist, floor), floor)) - math.log(
                max(dist.get(plate[i], floor), floor)
            )
        for chars in (LETTERS, DIGITS):
            outside = [c for c in chars if c not in dist]
            if outside:
                rep = plate[:i] + outside[0] + plate[i + 1 :]
                total += len(outside) * math.exp(base + rest + log_prob(rep))
    return total


def indel_posterior(
    entry: str,
    top: str,
    top_share: float,
    lattice: Lattice,
    background: PlateModel,
    policy: Policy,
    tables: Tables | None = None,
) -> float:
    """Posterior that the plate is ``entry``, one character longer or shorter than the read
    whose likeliest string ``top`` has posterior ``top_share``: ``indel`` times the share of
    ``entry`` among the strings of its length that the read could be. A character the read
    added (``entry`` shorter) is free; one it dropped could have been any of 36 anywhere, so
    those strings share the mass (normalisers taken at ``top``, scaled by ``top_share``)."""
    n = len(lattice)
    tab = tables if tables is not None else Tables(lattice, policy.floor)
    if len(entry) == n - 1:  # the read has an extra character at some j
        num = den = 0.0
        for j in range(n):
            b, shorter = background.log_prob, top[:j] + top[j + 1 :]
            num += math.exp(tab.log_q_without(entry, j) + b(entry))
            den += math.exp(tab.log_q_without(shorter, j) + b(shorter))
    elif len(entry) == n + 1:  # the read dropped the character at some j
        num = sum(math.exp(tab.log_q(entry[:j] + entry[j + 1 :])) for j in range(n + 1))
        num *= math.exp(background.log_prob(entry))
        # One letter and one digit stand for all 26 and 10 that could have been dropped (as in
        # ``_outside_mass``: ``A`` is as likely as the likeliest letter, so ``den`` errs high).
        den = math.exp(tab.log_q(top)) * sum(
            k * math.exp(background.log_prob(top[:j] + c + top[j:]))
            for j in range(n + 1)
            for c, k in (("A", len(LETTERS)), ("0", len(DIGITS)))
        )
    else:
        return 0.0
    return policy.indel * top_share * num / den if den > 0 else 0.0


def may_hit(
    plate: str, entry: str, lattice: Lattice, background: PlateModel, policy: Policy
) -> bool:
    """A cheap bound: could ``entry`` hit at all? A same-length string's posterior is at most
    its joint over the read's own; a dropped or added character's at most ``indel``."""
    if len(entry) == len(lattice):
        change = log_q_change(plate, entry, lattice, policy.floor)
        gain = change + (background.log_prob(entry) - background.log_prob(plate))
        return may_reach(gain, entry, policy)
    return may_reach(None, entry, policy)


def may_reach(gain: float | None, entry: str, policy: Policy) -> bool:
    """``may_hit`` from a same-length ``entry``'s log joint over the read's own (``gain``) or,
    for ``None``, a dropped or added character."""
    bound = math.exp(min(0.0, gain)) if gain is not None else policy.indel
    return bound >= policy.min_posterior and bound >= policy.min_odds * (1 - bound) * (
        policy.listed.chance(entry)
    )


def accepted(
    plate: str,
    lattice: Lattice,
    background: PlateModel,
    policy: Policy,
    listed: Sequence[str],
    tables: Tables | None = None,
) -> dict[str, float]:
    """Of the ``listed`` strings (entries the read ``plate`` could hit: its length or one
    character off), those accepted as inexact hits, with the read's posterior on each.
    ``tables``: the read's ``Tables`` when the caller has them and has already left out the
    strings ``may_hit`` rejects (and ``plate`` itself)."""
    n, floor = len(lattice), policy.floor
    chance = policy.listed.chance
    if tables is None:
        tables = Tables(lattice, floor)
        maybe = [
            s
            for s in dict.fromkeys(listed)
            if s != plate and may_hit(plate, s, lattice, background, policy)
        ]
    else:
        maybe = list(dict.fromkeys(listed))
    if not maybe:
        return {}
    strings = dict.fromkeys([plate, *likeliest(lattice, policy.limit, tables)])
    strings.update(dict.fromkeys(s for s in maybe if len(s) == n))
    log_b = background.log_prob
    joint = {s: math.exp(tables.log_q(s) + log_b(s)) for s in strings}
    z = sum(joint.values()) + _outside_mass(plate, lattice, background, floor, tables)
    sub_share = (1.0 - 2.0 * policy.indel) / z
    top = max(joint, key=lambda k: joint[k])
    out: dict[str, float] = {}
    for s in maybe:
        if len(s) == n:
            post = joint[s] * sub_share
        else:
            share = joint[top] * sub_share
            post = indel_posterior(s, top, share, lattice, background, policy, tables)
        if post >= policy.min_posterior and post >= policy.min_odds * (1.0 - post) * chance(s):
            out[s] = post
    return out
