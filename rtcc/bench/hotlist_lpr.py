"""``rtcc bench lpr --hotlist-size N``: plant the labelled plates in a random hotlist of N entries,
match every recognized read, and score hits.

``hotlist_metrics(pairs, size=N)`` takes ``(label, read text, char confidences or None, lattice or
None, OCR region or None)`` for each read (a label with no read at all is passed once with text
``""``; the region picks the matcher's background as on the live path) and returns ``hit_recall``
(labelled plates with a hit on their own entry) and ``false_hit_rate`` (reads with a hit on any
other entry, per read). ``for_lpr_args(args)`` collects those pairs with the real recognizer.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hotlist.matcher import EntryRef, HotlistIndex, ListRef
from rtcc.bench import plategen as gen
from rtcc.config import MatchSettings, load_settings
from rtcc.plates import CharAlternatives

# (label, read text, char confidences or None, per-character lattice or None, OCR region)
Pair = tuple[str, str, Sequence[float] | None, CharAlternatives | None, str | None]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def build_index(labels: Sequence[str], size: int, rules: MatchSettings, seed: int) -> HotlistIndex:
    planted = list(dict.fromkeys(labels))
    filler = gen.unique_plates(random.Random(seed), max(0, size - len(planted)), set(planted))
    lst = ListRef(1, "bench", priority=50)
    return HotlistIndex((EntryRef(i, lst, p) for i, p in enumerate(planted + filler)), rules)


def hotlist_metrics(
    pairs: Sequence[Pair], *, size: int, rules: MatchSettings | None = None, seed: int = 11
) -> dict[str, Any]:
    rules = rules or MatchSettings()
    t0 = time.perf_counter()
    index = build_index([p[0] for p in pairs], size, rules, seed)
    build_s = time.perf_counter() - t0
    found_own: set[str] = set()
    reads = false = 0
    kinds: Counter[str] = Counter()
    us: list[float] = []
    for label, text, conf, alts, region in pairs:
        if not text:
            continue
        reads += 1
        t = time.perf_counter_ns()
        matches = index.match(
            text, state=None, now=NOW, confidences=conf, alternatives=alts, region=region
        )
        us.append((time.perf_counter_ns() - t) / 1000)
        own = [m for m in matches if m.entry.plate == label]
        if own:
            found_own.add(label)
            kinds[own[0].match_type] += 1
        false += any(m.entry.plate != label for m in matches)
    labels = {p[0] for p in pairs}
    return {
        "hotlist_size": index.size,
        "hit_recall": round(len(found_own) / len(labels), 4) if labels else 0.0,
        "false_hit_rate": round(false / reads, 5) if reads else 0.0,
        "hit_match_types": ",".join(f"{k}:{n}" for k, n in sorted(kinds.items())) or "-",
        "hotlist_match_us_median": round(statistics.median(us), 2) if us else 0.0,
        "hotlist_index_seconds": round(build_s, 2),
    }


def _closest(text: str, labels: Sequence[str]) -> str:
    return max(labels, key=lambda lab: difflib.SequenceMatcher(None, text, lab).ratio())


def collect_pairs(args: argparse.Namespace) -> list[Pair]:
    """Run the real recognizer (images) or read pipeline (videos) over the labelled inputs."""
    from lpr import evaluation as ev
    from lpr.pipeline import ReadPipeline
    from lpr.recognizer import build_recognizer
    from rtcc.bench.lpr import _frames, _image, lpr_settings

    settings = lpr_settings(args)
    recognizer = build_recognizer(settings)
    pairs: list[Pair] = []
    if not args.video:
        for label in ev.load_image_labels(args.labels):
            obs = recognizer.recognize(_image(label.file))
            pairs += [
                (
                    label.plate,
                    o.text,
                    o.char_confidences,
                    o.alternatives,  # the matcher drops a lattice that does not cover the text
                    o.region,
                )
                for o in obs
            ] or [(label.plate, "", None, None, None)]
        return pairs
    by_file: dict[Any, list[str]] = {}
    for plabel in ev.load_pass_labels(args.labels):
        by_file.setdefault(plabel.file, []).append(plabel.plate)
    for file, labels in by_file.items():
        frames, fps = _frames(file, args.stride)
        pipeline = ReadPipeline(recognizer, settings, key_prefix=file.stem)
        outs = []
        for i, frame in enumerate(frames):
            outs += pipeline.process(frame, NOW + timedelta(seconds=i / fps))
        outs += pipeline.flush(NOW + timedelta(seconds=len(frames) / fps + 3600))
        finals = [
            (r.plate, r.char_confidences, r.char_alternatives, r.region)
            for r in (o.record for o in outs)
            if r.status == "final" and r.plate
        ]
        pairs += [(_closest(t, labels), t, c, a, g) for t, c, a, g in finals]
        seen = {p[0] for p in pairs}
        pairs += [(lab, "", None, None, None) for lab in labels if lab not in seen]
    return pairs


def for_lpr_args(args: argparse.Namespace) -> dict[str, Any]:
    """The figures ``rtcc bench lpr --hotlist-size N`` adds to its result."""
    rules = load_settings(getattr(args, "config", None)).matching
    return hotlist_metrics(collect_pairs(args), size=args.hotlist_size, rules=rules)
