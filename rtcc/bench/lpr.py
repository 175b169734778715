"""``rtcc bench lpr``: plate accuracy, detection recall, reads per pass and speed of our recognition
layer, with plain ``fast_alpr.ALPR.predict`` measured on the same inputs in the same run.

Images (``--labels`` CSV ``file,plate_text,x1,y1,x2,y2,region``) are read one by one by the
recognizer; videos (``--video``, CSV ``file,plate_text,first_frame,last_frame``) go frame by frame
through the full pipeline (tracker and consensus) and only final reads count. The baseline reads
every frame on its own, so each of its per-frame reads counts. Scoring: ``lpr.evaluation``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml
from pydantic import ValidationError

from cameras.motion import MotionGate
from lpr import evaluation as ev
from lpr.pipeline import ReadPipeline
from lpr.recognizer import build_recognizer, default_model_dir, load_detector, session_options
from rtcc.config import LprSettings, MotionSettings, load_settings
from rtcc.errors import InvalidInputError, ModelError

KEYS = ("inputs", "exact_accuracy", "folded_accuracy", "detection_recall", "ms_median", "ms_p95")
Reader = Callable[[np.ndarray], list[tuple[str, tuple[int, int, int, int]]]]


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("lpr", help="plate recognition accuracy and speed vs plain fast-alpr")
    add_config(p)
    p.add_argument("--labels", type=Path, required=True, help="labels CSV")
    p.add_argument("--video", action="store_true", help="labels describe video passes")
    p.add_argument("--baseline", action="store_true", help="also run plain fast_alpr.ALPR")
    p.add_argument("--model-dir", type=Path, default=None, help="model bundle (default: config)")
    p.add_argument("--stride", type=int, default=1, help="videos: analyse every Nth frame")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--compare", action="append", default=[], metavar="KEY=VALUE",
        help="also run ours with lpr.KEY=VALUE ... (repeatable), e.g. 'zoom_floor=0.1'",
    )
    p.add_argument(
        "--unlabelled", action="append", default=[], type=Path, metavar="VIDEO",
        help="videos: also count the reads on this clip without labels (repeatable)",
    )
    p.add_argument(
        "--hotlist-size", type=int, default=0,
        help="plant the labels in a random hotlist of N entries; add hit_recall/false_hit_rate",
    )
    p.set_defaults(func=_run)


def lpr_settings(args: argparse.Namespace) -> LprSettings:
    settings = load_settings(getattr(args, "config", None)).lpr
    model_dir = args.model_dir or settings.model_dir
    if model_dir is None:
        model_dir = default_model_dir([Path("../shared/models"), Path.home() / ".cache"])
    if model_dir is None:
        raise ModelError("no model bundle: pass --model-dir or set lpr.model_dir")
    return settings.model_copy(update={"model_dir": Path(model_dir)})


def baseline_reader(settings: LprSettings) -> Reader:
    """Plain fast-alpr: ``ALPR.predict`` with its default OCR handling, on the same model files
    and with the same onnxruntime thread count as ours (``lpr.threads``), so only the work
    done differs."""
    from fast_alpr import ALPR
    from fast_alpr.default_ocr import DefaultOCR

    from lpr import bundle

    assert settings.model_dir is not None
    files = bundle.ocr_files(settings.model_dir, settings.ocr_model)
    ocr = DefaultOCR(
        model_path=files.onnx, config_path=files.config, device="cpu",
        sess_options=session_options(settings.threads),
    )
    alpr = ALPR(detector=load_detector(settings), ocr=ocr)

    def read(frame: np.ndarray) -> list[tuple[str, tuple[int, int, int, int]]]:
        out = []
        for r in alpr.predict(frame):
            if r.ocr is None or not r.ocr.text:
                continue
            bb = r.detection.bounding_box
            text = "".join(ch for ch in r.ocr.text.upper() if ch.isalnum())
            out.append((text, (int(bb.x1), int(bb.y1), int(bb.x2), int(bb.y2))))
        return out

    return read


def _image(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    if img is None:
        raise InvalidInputError(f"{path}: not a readable image", field="file")
    return img


def variant(settings: LprSettings, spec: str) -> LprSettings:
    """``settings`` with the ``KEY=VALUE`` pairs (separated by spaces) of one ``--compare``
    applied (VALUE as YAML: ``null``, numbers, lists) and validated like the config file."""
    update: dict[str, Any] = {}
    for pair in spec.split() or [""]:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"--compare {spec!r}: expected KEY=VALUE", field="compare")
        try:
            update[key] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            msg = str(exc).splitlines()[0]
            raise InvalidInputError(f"--compare {spec!r}: {msg}", field="compare") from None
    try:
        return LprSettings.model_validate(settings.model_dump() | update)
    except ValidationError as exc:
        msg = _first_error(exc)
        raise InvalidInputError(f"--compare {spec!r}: {msg}", field="compare") from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


class Clock:
    """Wall and CPU (process) time of each input; CPU time is what a frame costs the host
    whatever else runs on it."""

    def __init__(self) -> None:
        self.ms: list[float] = []
        self.cpu_ms: list[float] = []

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms.append((time.perf_counter() - self._wall) * 1000)
        self.cpu_ms.append((time.process_time() - self._cpu) * 1000)

    def figures(self) -> dict[str, float]:
        cpu = round(sum(self.cpu_ms) / len(self.cpu_ms), 2) if self.cpu_ms else 0.0
        return ev.timing(self.ms) | {"cpu_ms_mean": cpu}


def run_images(labels: list[ev.ImageLabel], reader: Reader) -> dict[str, Any]:
    images = [_image(label.file) for label in labels]
    reader(images[0])  # warm-up
    reads, clock = [], Clock()
    for img in images:
        with clock:
            reads.append(reader(img))
    return ev.score_images(labels, reads) | clock.figures()


def _frames(path: Path, stride: int) -> tuple[list[np.ndarray], float]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InvalidInputError(f"{path}: cannot open video", field="file")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % stride == 0:
            frames.append(frame)
        i += 1
    cap.release()
    return frames, fps / stride


FrameReader = Callable[[Path, Clock], list[str]]


def run_videos(
    labels: list[ev.PassLabel], frame_reader: FrameReader, unlabelled: Sequence[Path] = ()
) -> dict[str, Any]:
    reads: dict[Path, list[str]] = {}
    clock = Clock()
    for file in dict.fromkeys(label.file for label in labels):
        reads[file] = frame_reader(file, clock)
    result: dict[str, Any] = ev.score_videos(labels, reads) | clock.figures()
    result["false_texts"] = sorted(ev.false_reads(labels, reads))  # to judge by eye
    if unlabelled:  # no labels: every read is listed, to be judged by eye (signs, overlays)
        texts = [t for file in unlabelled for t in frame_reader(file, Clock())]
        result |= {"unlabelled_reads": len(texts), "unlabelled_texts": sorted(texts)}
    return result


def pipeline_video(settings: LprSettings, recognizer: Any, stride: int) -> FrameReader:
    def run(file: Path, clock: Clock) -> list[str]:
        frames, fps = _frames(file, stride)
        pipeline = ReadPipeline(recognizer, settings, key_prefix=file.stem)
        gate = MotionGate(MotionSettings())  # only says where each frame moved, as a camera's
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        finals = []
        for i, frame in enumerate(frames):
            with clock:
                gate.moved(frame, i / fps)
                out = pipeline.process(frame, t0 + timedelta(seconds=i / fps), gate.region)
            finals += [r.record.plate for r in out if r.record.status == "final"]
        end = t0 + timedelta(seconds=len(frames) / fps + settings.track_gap_s + 1)
        finals += [r.record.plate for r in pipeline.flush(end) if r.record.status == "final"]
        return finals

    return run


def per_frame_video(reader: Reader, stride: int) -> FrameReader:
    def run(file: Path, clock: Clock) -> list[str]:
        frames, _ = _frames(file, stride)
        texts = []
        for frame in frames:
            with clock:
                texts += [t for t, _ in reader(frame)]
        return texts

    return run


def measure_ours(args: argparse.Namespace, settings: LprSettings) -> dict[str, Any]:
    recognizer = build_recognizer(settings)
    if args.video:
        vlabels = ev.load_pass_labels(args.labels)
        reader = pipeline_video(settings, recognizer, args.stride)
        return run_videos(vlabels, reader, args.unlabelled)
    ilabels = ev.load_image_labels(args.labels)
    if not ilabels:
        raise InvalidInputError(f"{args.labels}: no rows", field="labels")
    return run_images(ilabels, lambda frame: [(o.text, o.box) for o in recognizer.recognize(frame)])


def measure(args: argparse.Namespace) -> dict[str, Any]:
    settings = lpr_settings(args)
    variants = {spec: variant(settings, spec) for spec in args.compare}  # bad specs fail first
    result = measure_ours(args, settings)
    if args.baseline:
        base = baseline_reader(settings)
        if args.video:
            vlabels = ev.load_pass_labels(args.labels)
            result["baseline"] = run_videos(vlabels, per_frame_video(base, args.stride))
        else:
            result["baseline"] = run_images(ev.load_image_labels(args.labels), base)
    if variants:
        result["variants"] = {spec: measure_ours(args, v) for spec, v in variants.items()}
    return result


def _print(result: dict[str, Any]) -> None:
    base = result.get("baseline")
    keys = [k for k in result if k not in ("baseline", "variants") and not k.endswith("_texts")]
    print(f"{'metric':<18}{'ours':>10}" + (f"{'baseline':>10}{'ratio':>8}" if base else ""))
    for key in keys:
        line = f"{key:<18}{result[key]:>10}"
        if base:
            b = base.get(key, 0)
            ratio = f"{result[key] / b:.2f}" if b else "-"
            line += f"{b:>10}{ratio:>8}"
        print(line)
    for spec, figures in result.get("variants", {}).items():
        shown = {k: v for k, v in figures.items() if not k.endswith("_texts")}
        print(f"with {spec}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))


def _run(args: argparse.Namespace) -> int:
    if args.stride < 1:
        raise InvalidInputError("--stride must be at least 1", field="stride")
    if args.unlabelled and not args.video:
        raise InvalidInputError("--unlabelled needs --video", field="unlabelled")
    result = measure(args)
    if args.hotlist_size:
        from rtcc.bench.hotlist_lpr import for_lpr_args

        result.update(for_lpr_args(args))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        _print(result)
    return 0
