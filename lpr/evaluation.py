"""Scoring plate reads against labels (pure functions; ``rtcc bench lpr`` runs the models).

Images: a labelled plate counts as detected when a read's box overlaps the label's with IoU >= 0.3;
it is read exactly right when the best-overlapping read's text equals the label.
Videos: every final read of a clip is assigned to the clip's most similar labelled plate; a pass is
detected when it got at least one read, ``exact_accuracy`` is the share of passes whose reads are
all exactly right (a pass with no read or with an extra wrong read fails), and ``reads_per_pass``
is the number of reads per labelled pass (1.0 is ideal; a per-frame reader gets one per frame);
``read_accuracy`` is the share of all reads that are exactly right; ``false_reads`` counts the
reads that are not even a misread of a labelled plate of their clip (less than half their
characters in common: a sign, an overlay, another vehicle).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lpr.tracker import iou, text_similarity
from rtcc.errors import InvalidInputError

Box = tuple[int, int, int, int]
_FOLD = str.maketrans({"O": "0", "I": "1"})


def fold(text: str) -> str:
    return text.translate(_FOLD)


@dataclass(frozen=True)
class ImageLabel:
    file: Path
    plate: str
    box: Box


@dataclass(frozen=True)
class PassLabel:
    file: Path
    plate: str
    first_frame: int
    last_frame: int


def _rows(path: Path, needed: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in needed if c not in (reader.fieldnames or [])]
            if missing:
                raise InvalidInputError(f"{path}: missing column(s) {missing}", field="labels")
            return list(enumerate(reader, start=2))
    except OSError as exc:
        raise InvalidInputError(f"{path}: {exc.strerror}", field="labels") from None


def load_image_labels(path: Path) -> list[ImageLabel]:
    out = []
    for line, row in _rows(path, ("file", "plate_text", "x1", "y1", "x2", "y2")):
        try:
            box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{path}:{line}: box is not four integers", field="labels"
            ) from None
        out.append(ImageLabel(path.parent / row["file"], row["plate_text"].strip().upper(), box))
    return out


def load_pass_labels(path: Path) -> list[PassLabel]:
    out = []
    for line, row in _rows(path, ("file", "plate_text", "first_frame", "last_frame")):
        try:
            first, last = int(row["first_frame"]), int(row["last_frame"])
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{path}:{line}: frame range is not integers", field="labels"
            ) from None
        out.append(
            PassLabel(path.parent / row["file"], row["plate_text"].strip().upper(), first, last)
        )
    return out


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[k]


def timing(ms: Sequence[float]) -> dict[str, float]:
    return {
        "ms_median": round(statistics.median(ms), 2) if ms else 0.0,
        "ms_p95": round(percentile(ms, 0.95), 2),
    }


def score_images(
    labels: Sequence[ImageLabel], reads: Sequence[Sequence[tuple[str, Box]]]
) -> dict[str, float]:
    """``reads[i]``: (text, box) of every plate read in image ``i``."""
    exact = folded = detected = 0
    for label, found in zip(labels, reads, strict=True):
        scored = [(iou(box, label.box), text) for text, box in found]
        scored = [s for s in scored if s[0] >= 0.3]
        if not scored:
            continue
        detected += 1
        text = max(scored)[1]
        exact += text == label.plate
        folded += fold(text) == fold(label.plate)
    n = max(len(labels), 1)
    return {
        "inputs": len(labels),
        "exact_accuracy": round(exact / n, 4),
        "folded_accuracy": round(folded / n, 4),
        "detection_recall": round(detected / n, 4),
    }


def false_reads(labels: Sequence[PassLabel], reads: dict[Path, list[str]]) -> list[str]:
    """The reads that are not even a misread of a labelled plate of their clip."""
    plates: dict[Path, list[str]] = defaultdict(list)
    for label in labels:
        plates[label.file].append(label.plate)
    return [
        text
        for file, texts in reads.items()
        for text in texts
        if max((text_similarity(p, text) for p in plates[file]), default=0.0) < 0.5
    ]


def score_videos(labels: Sequence[PassLabel], reads: dict[Path, list[str]]) -> dict[str, float]:
    """``reads[file]``: the final plate texts emitted for that clip."""
    by_file: dict[Path, list[PassLabel]] = defaultdict(list)
    for label in labels:
        by_file[label.file].append(label)
    assigned: dict[int, list[str]] = defaultdict(list)
    total_reads = 0
    for file, passes in by_file.items():
        for text in reads.get(file, []):
            total_reads += 1
            best = max(passes, key=lambda p: text_similarity(p.plate, text))
            assigned[id(best)].append(text)
    exact = folded = detected = 0
    right_reads = sum(t == p.plate for p in labels for t in assigned.get(id(p), []))
    for label in labels:
        got = assigned.get(id(label), [])
        detected += bool(got)
        exact += bool(got) and all(t == label.plate for t in got)
        folded += bool(got) and all(fold(t) == fold(label.plate) for t in got)
    n = max(len(labels), 1)
    return {
        "inputs": len(labels),
        "exact_accuracy": round(exact / n, 4),
        "folded_accuracy": round(folded / n, 4),
        "detection_recall": round(detected / n, 4),
        "reads_per_pass": round(total_reads / n, 3),
        "read_accuracy": round(right_reads / max(total_reads, 1), 4),  # share of reads exact
        "reads": total_reads,
        "false_reads": len(false_reads(labels, {f: reads.get(f, []) for f in by_file})),
    }
