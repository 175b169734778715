"""``rtcc bench hotlist``: import and match speed, recall on planted misreads, false hits,
against a naive linear scan measured in the same run."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotlist.importer import parse_text
from hotlist.index import canon_table
from hotlist.matcher import Matcher, load_index
from hotlist.service import create_list, import_entries
from rtcc.audit import SYSTEM
from rtcc.bench import plategen as gen
from rtcc.bench.hotlist_ocr import ocr_read
from rtcc.clock import SystemClock
from rtcc.config import MatchSettings, load_settings
from rtcc.db import make_engine, make_sessionmaker, migrate, transaction


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("hotlist", help="hotlist import and match speed, recall, false hits")
    add_config(p)
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--reads", type=int, default=20_000)
    p.add_argument("--naive-sample", type=int, default=20, help="reads timed with a linear scan")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    p.add_argument(
        "--confidences-only",
        action="store_true",
        help="reads carry per-character confidences but no alternatives (the matcher builds "
        "their lattice from the confidences)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


def build_reads(rng: random.Random, plates: list[str], n: int) -> list[tuple[str, str, int | None]]:
    """(kind, text, index of the planted entry): exact 3%, confusable 3%, other error 3%, rest
    plates not on the list."""
    listed = set(plates)
    out: list[tuple[str, str, int | None]] = []
    strangers = iter(gen.unique_plates(rng, n, avoid=listed))
    for _ in range(n):
        roll = rng.random()
        i = rng.randrange(len(plates))
        if roll < 0.03:
            out.append(("exact", plates[i], i))
        elif roll < 0.06 and (text := gen.confusable_misread(rng, plates[i])):
            out.append(("confusable", text, i))
        elif roll < 0.09:
            text, _ = gen.other_misread(rng, plates[i])
            out.append(("other", text, i))
        else:
            out.append(("none", next(strangers), None))
    return out


def _one_indel(a: str, b: str) -> bool:
    """``a`` becomes ``b`` by deleting one character of the longer of the two."""
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(shorter) + 1:
        return False
    i = 0
    while i < len(shorter) and longer[i] == shorter[i]:
        i += 1
    return longer[i + 1 :] == shorter[i:]


def _naive(read: str, canons: list[str], table: dict[int, int]) -> int:
    cr = read.translate(table)
    found = 0
    for c in canons:
        if len(c) == len(cr):
            if c == cr or sum(a != b for a, b in zip(c, cr, strict=True)) <= 1:
                found += 1
        elif abs(len(c) - len(cr)) == 1 and _one_indel(cr, c):
            found += 1
    return found


def run(
    entries: int,
    reads: int,
    naive_sample: int,
    seed: int,
    db_url: str | None,
    *,
    alternatives: bool = True,
    rules: MatchSettings | None = None,
) -> dict[str, Any]:
    rng = random.Random(seed)
    rules = rules or MatchSettings()
    plates = gen.unique_plates(rng, entries)
    lines = ["plate,state,reason"] + [f"{p},{rng.choice(gen.STATES)},stolen" for p in plates]
    matcher, import_s, index_s = _load(lines, rules, seed, db_url)
    now = SystemClock().now()
    # The list stores plates with states; reads here carry none, so the state rule never applies.
    wanted = [(kind, txt, i) for kind, txt, i in build_reads(rng, plates, reads)]
    timings: list[float] = []
    planted: Counter[str] = Counter()
    own: Counter[str] = Counter()
    false = clean = 0
    for kind, txt, i in wanted:
        truth = plates[i] if i is not None else txt
        conf, alts = ocr_read(rng, txt, truth)
        t = time.perf_counter_ns()
        found = matcher.match(
            txt, state=None, now=now, confidences=conf, alternatives=alts if alternatives else None
        )
        timings.append((time.perf_counter_ns() - t) / 1000)
        if kind == "none":
            clean += 1
            false += bool(found)
        else:
            planted[kind] += 1
            own[kind] += any(m.entry.plate == truth for m in found)
    table = canon_table(rules.confusion_groups)
    canons = [p.translate(table) for p in plates]
    naive = []
    for _, txt, _ in wanted[:naive_sample]:
        t = time.perf_counter_ns()
        _naive(txt, canons, table)
        naive.append((time.perf_counter_ns() - t) / 1000)
    timings.sort()
    median = statistics.median(timings)
    naive_median = statistics.median(naive) if naive else 0.0
    return {
        "entries": entries,
        "reads": reads,
        "alternatives": alternatives,
        "match_us_median": round(median, 2),
        "match_us_p99": round(timings[int(len(timings) * 0.99) - 1], 2),
        "recall": _ratio(
            own["confusable"] + own["other"], planted["confusable"] + planted["other"]
        ),
        "recall_exact": _ratio(own["exact"], planted["exact"]),
        "recall_confusable": _ratio(own["confusable"], planted["confusable"]),
        "recall_other_error": _ratio(own["other"], planted["other"]),
        "false_hit_rate": round(false / clean, 5) if clean else None,
        "naive_us_median": round(naive_median, 1),
        "naive_ratio": round(naive_median / median, 1) if median else None,
        "import_seconds": round(import_s, 2),
        "index_build_seconds": round(index_s, 2),
    }


def _load(
    lines: list[str], rules: MatchSettings, seed: int, db_url: str | None
) -> tuple[Matcher, float, float]:
    """Import the list into a database and build the index: the matcher and both timings."""
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db_url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        sessions = make_sessionmaker(engine)
        now = SystemClock().now()
        t0 = time.perf_counter()
        imported = parse_text(text, format="csv", source="bench")
        with transaction(sessions) as session:
            hl = create_list(session, name=f"bench-{seed}-{time.time_ns()}", now=now, actor=SYSTEM)
            import_entries(session, hotlist=hl, entries=imported.entries, now=now, actor=SYSTEM)
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with sessions() as session:
            matcher = Matcher(load_index(session, now=now, rules=rules, hotlist_ids=[hl.id]))
        index_s = time.perf_counter() - t0
        engine.dispose()
    return matcher, import_s, index_s


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _run(args: argparse.Namespace) -> int:
    result = run(
        args.entries,
        args.reads,
        args.naive_sample,
        args.seed,
        args.db,
        alternatives=not args.confidences_only,
        rules=load_settings(getattr(args, "config", None)).matching,
    )
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"hotlist of {result['entries']:,} entries, {result['reads']:,} reads")
    print(
        f"  import (parse + insert): {result['import_seconds']} s;"
        f" index build {result['index_build_seconds']} s"
    )
    print(f"  match: median {result['match_us_median']} us, p99 {result['match_us_p99']} us")
    print(
        f"  naive linear scan: median {result['naive_us_median']} us"
        f" ({result['naive_ratio']}x slower)"
    )
    print(
        f"  recall: exact {result['recall_exact']}, confusable {result['recall_confusable']},"
        f" other error {result['recall_other_error']}"
    )
    print(
        f"  recall on planted misreads: {result['recall']};"
        f" false-hit rate on other reads: {result['false_hit_rate']}"
    )
    return 0
