"""The fast lattice matcher decides exactly as the matcher of commit ``BASELINE`` did.

The baseline's four matching modules are read from git (``git show``) into a package of their
own, both matchers are built on the same bench list, and every bench read (``rtcc bench
hotlist``'s reads: planted misreads, look-alikes and strangers, with OCR-like lattices) must hit
the same entries with the same type, diff, score, llr and posterior (floats within 1e-9).

Both score against the same background: the baseline's own (``hotlist/background.py`` of
``BASELINE``: formats equally likely, letters uniform) has since become the one plate-string
model of ``rtcc.plate_formats`` (weighted formats and letters, the decoder's prior too), so the
baseline is given that model (``_BaselineBackground``) in place of its own. What is compared is
then the rule and its fast paths, not the background.

Run at full size (timings of both, interleaved, in the same process)::

    .venv/bin/python -m tests.hotlist.test_match_equivalence 1000000 100000
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotlist.matcher import HotlistIndex, ListRef, Matcher
from rtcc.bench import plategen as gen
from rtcc.bench.hotlist import build_reads
from rtcc.bench.hotlist_ocr import ocr_read
from rtcc.config import MatchSettings
from rtcc.plate_formats import PlateModel, model_of_label

BASELINE = "b40efc38599d97f541654f1bc231780bcc49ac76"  # lattice matching before the speed-up
MODULES = ("background", "lattice", "index", "matcher")
ROOT = Path(__file__).resolve().parents[2]


class _BaselineBackground:
    """A ``PlateModel`` under the names the baseline calls (``log_prob_plate``, ``log_chars``)."""

    def __init__(self, model: PlateModel) -> None:
        self.log_prob_plate = model.log_prob
        self.log_chars = model.log_chars


def _baseline_background_for(region: str | None, default: str) -> _BaselineBackground:
    return _BaselineBackground(model_of_label(region, default))


def baseline_matcher_module() -> Any:
    """``hotlist.matcher`` as of ``BASELINE`` (with its lattice, background and index), scoring
    against today's background (``rtcc.plate_formats``) rather than its own."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("no git checkout: the baseline matcher cannot be read")
    package = types.ModuleType("hotlist_baseline")
    package.__path__ = []
    sys.modules["hotlist_baseline"] = package
    for name in MODULES:
        done = subprocess.run(
            ["git", "show", f"{BASELINE}:hotlist/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"baseline commit {BASELINE[:8]} not in this checkout")
        source = done.stdout
        for other in MODULES:
            source = source.replace(f"hotlist.{other}", f"hotlist_baseline.{other}")
            source = source.replace(
                f"from hotlist import {other}", f"from hotlist_baseline import {other}"
            )
        module = types.ModuleType(f"hotlist_baseline.{name}")
        module.__file__ = f"<{BASELINE[:8]}:hotlist/{name}.py>"
        sys.modules[module.__name__] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
        setattr(package, name, module)
    # The matcher asks its lattice module for a read's background (``lat.background_for``).
    package.lattice.background_for = _baseline_background_for
    return sys.modules["hotlist_baseline.matcher"]


def _bench_reads(entries: int, reads: int, seed: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    plates = gen.unique_plates(rng, entries)
    out = []
    for _, text, i in build_reads(rng, plates, reads):
        conf, alts = ocr_read(rng, text, plates[i] if i is not None else text)
        out.append((text, conf, alts))
    return plates, out


def _key(m: Any) -> tuple[Any, ...]:
    return (m.entry.entry_id, m.match_type, m.distance, m.diff)


def _same(a: list[Any], b: list[Any]) -> bool:
    if [_key(m) for m in a] != [_key(m) for m in b]:
        return False
    for x, y in zip(a, b, strict=True):
        for u, v in ((x.score, y.score), (x.llr, y.llr), (x.posterior, y.posterior)):
            if (u is None) != (v is None) or (u is not None and abs(u - v) > 1e-9 * max(1, abs(u))):
                return False
    return True


def compare(entries: int, reads: int, seed: int = 7, timed: bool = False) -> dict[str, Any]:
    """Both matchers on the same list and reads: mismatches, hits and (``timed``) µs per read."""
    old_mod = baseline_matcher_module()
    plates, bench = _bench_reads(entries, reads, seed)
    rows = [(i, 1, p, None, None, None, None, None) for i, p in enumerate(plates)]
    rules = MatchSettings()
    t0 = time.perf_counter()
    new = Matcher(HotlistIndex.from_rows(rows, {1: ListRef(1, "bench")}, rules))
    new_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    old = old_mod.Matcher(old_mod.HotlistIndex.from_rows(rows, {1: old_mod.ListRef(1, "b")}, rules))
    old_build = time.perf_counter() - t0
    now = datetime(2026, 1, 1, tzinfo=UTC)
    mismatches: list[str] = []
    hits = 0
    t_new: list[tuple[float, float]] = []
    t_old: list[tuple[float, float]] = []
    for n, (text, conf, alts) in enumerate(bench):
        pair = []
        # Interleaved, alternating which goes first: both see the same machine load.
        for m, times in ((new, t_new), (old, t_old)) if n % 2 else ((old, t_old), (new, t_new)):
            t, c = time.perf_counter_ns(), time.thread_time_ns()
            found = m.match(text, state=None, now=now, confidences=conf, alternatives=alts)
            times.append(((time.perf_counter_ns() - t) / 1000, (time.thread_time_ns() - c) / 1000))
            pair.append((m is new, found))
        got = dict(pair)
        hits += bool(got[True])
        if not _same(got[True], got[False]):
            mismatches.append(text)
    out: dict[str, Any] = {"reads": reads, "with_hits": hits, "mismatches": mismatches}
    if timed:
        for name, pairs, build in (("new", t_new, new_build), ("old", t_old, old_build)):
            out[name] = {"index_build_s": round(build, 2)}
            # Wall time, and the thread's CPU time (less sensitive to a loaded machine).
            for clock, ts in (
                ("wall", sorted(w for w, _ in pairs)),
                ("cpu", sorted(c for _, c in pairs)),
            ):
                out[name][f"{clock}_median_us"] = round(statistics.median(ts), 1)
                out[name][f"{clock}_p99_us"] = round(ts[int(len(ts) * 0.99) - 1], 1)
    return out


def test_fast_matcher_decides_as_the_baseline() -> None:
    result = compare(20_000, 6_000)
    assert result["with_hits"] > 300  # the reads do hit: the comparison is not vacuous
    assert result["mismatches"] == []


def test_comparison_sees_a_changed_decision() -> None:
    """The check can fail: a stricter rule on one side gives different hits."""
    old_mod = baseline_matcher_module()
    plates, bench = _bench_reads(5_000, 1_500, 3)
    rows = [(i, 1, p, None, None, None, None, None) for i, p in enumerate(plates)]
    ref = {1: ListRef(1, "bench")}
    new = Matcher(HotlistIndex.from_rows(rows, ref, MatchSettings(lattice_min_odds=1e4)))
    old = old_mod.Matcher(old_mod.HotlistIndex.from_rows(rows, ref, MatchSettings()))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    differ = sum(
        not _same(
            new.match(t, state=None, now=now, confidences=c, alternatives=a),
            old.match(t, state=None, now=now, confidences=c, alternatives=a),
        )
        for t, c, a in bench
    )
    assert differ > 0


if __name__ == "__main__":
    import json

    args = [int(a) for a in sys.argv[1:3]] or [1_000_000, 100_000]
    res = compare(args[0], args[1], timed=True)
    res["mismatches"] = res["mismatches"][:20] + (["..."] if len(res["mismatches"]) > 20 else [])
    print(json.dumps(res))
