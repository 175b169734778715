"""The real models on real images and videos from ../shared (skipped when absent)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest

from lpr.pipeline import ReadOut, ReadPipeline
from lpr.recognizer import FastAlprRecognizer, build_recognizer
from rtcc.config import LprSettings
from tests.support.paths import shared_path

pytestmark = pytest.mark.slow
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def recognizer() -> FastAlprRecognizer:
    settings = LprSettings(model_dir=shared_path("models"))
    rec = build_recognizer(settings)
    assert isinstance(rec, FastAlprRecognizer)
    return rec


@pytest.fixture(scope="module")
def hard_recognizer(recognizer: FastAlprRecognizer) -> FastAlprRecognizer:
    """The same models decoding with hard format patterns instead of the format prior."""
    rec = build_recognizer(recognizer.settings.model_copy(update={"format_prior_weight": 0.0}))
    assert isinstance(rec, FastAlprRecognizer)
    return rec


def test_reads_real_plates_with_per_character_alternatives(recognizer: FastAlprRecognizer) -> None:
    img = cv2.imread(str(shared_path("data/plates-dev/images/1277DPZ.jpg")))
    assert img is not None
    found = recognizer.recognize(img)
    assert [o.text for o in found] == ["1277DPZ"]
    o = found[0]
    assert len(o.char_confidences) == 7 and all(0 < c <= 1 for c in o.char_confidences)
    assert len(o.alternatives) == 7 and o.alternatives[0][0][0] == "1"
    assert o.slot_probs is not None and o.slot_probs.shape[1] == len(o.alphabet)
    assert 74 - 10 < o.box[0] < 74 + 10


def test_mask_hides_a_plate(recognizer: FastAlprRecognizer) -> None:
    img = cv2.imread(str(shared_path("data/plates-dev/images/1277DPZ.jpg")))
    assert img is not None
    masked = build_recognizer(
        recognizer.settings.model_copy(
            update={"masks": [[(60, 280), (180, 280), (180, 335), (60, 335)]]}
        )
    )
    assert masked.recognize(img) == []


@pytest.mark.parametrize(
    ("image", "with_prior", "without"),
    [
        ("GOOGLE", "GOOGLE", "G0OGLE"),  # a 0 inside a run of letters
        ("589222", "589222", "589222"),  # a Z among digits: both decoders fix it
        ("1277DPZ", "1277DPZ", "1277DPZ"),
        ("J1S1", "J1S1", "J1S1"),  # sure mixed characters stay
        ("EXCUSEM3", "EXCUSEM3", "EXCUSEM3"),
    ],
)
def test_format_prior_on_real_plates(
    recognizer: FastAlprRecognizer,
    hard_recognizer: FastAlprRecognizer,
    image: str,
    with_prior: str,
    without: str,
) -> None:
    img = cv2.imread(str(shared_path(f"data/plates-dev/images/{image}.jpg")))
    assert img is not None
    assert recognizer.settings.format_prior_weight > 0
    (read,) = recognizer.recognize(img)
    assert read.text == with_prior
    (plain,) = hard_recognizer.recognize(img)
    assert plain.text == without
    assert read.raw_text == plain.raw_text  # the OCR's own string is kept on the read


def test_a_weak_detection_is_rescued_by_a_sure_read(recognizer: FastAlprRecognizer) -> None:
    # The detector gives this plate 0.38, under the 0.4 threshold; its read is sure.
    img = cv2.imread(str(shared_path("data/plates-dev/images/WXD1620.jpg")))
    assert img is not None
    assert recognizer.settings.detector_rescue_threshold is not None  # on by default
    assert [o.text for o in recognizer.recognize(img)] == ["WXD1620"]
    off = build_recognizer(
        recognizer.settings.model_copy(update={"detector_rescue_threshold": None})
    )
    assert off.recognize(img) == []
    rescue = build_recognizer(
        recognizer.settings.model_copy(update={"detector_rescue_threshold": 0.2})
    )
    assert [o.text for o in rescue.recognize(img)] == ["WXD1620"]
    strict = build_recognizer(
        recognizer.settings.model_copy(
            update={"detector_rescue_threshold": 0.2, "rescue_min_confidence": 1.0}
        )
    )
    assert strict.recognize(img) == []


def run_video(recognizer: FastAlprRecognizer, path: Path) -> list[ReadOut]:
    pipeline = ReadPipeline(recognizer, recognizer.settings, key_prefix="t")
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    out: list[ReadOut] = []
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % 2 == 0:
            out += pipeline.process(frame, T0 + timedelta(seconds=i / fps))
        i += 1
    return out + pipeline.flush(T0 + timedelta(seconds=i / fps))


@pytest.mark.parametrize(
    ("clip", "plates"),
    [
        ("tudelft/cat1_Video10_2.avi", ["XSNB23"]),
        ("tudelft/cat3_Video47_2.avi", ["24LSB1", "89NVJP"]),
        ("theAIGuysCode/license_plate.mp4", ["LS15EBC"]),
    ],
)
def test_one_final_read_per_pass(
    recognizer: FastAlprRecognizer, clip: str, plates: list[str]
) -> None:
    reads = run_video(recognizer, shared_path(f"data/video/{clip}"))
    finals = [r for r in reads if r.record.status == "final"]
    assert sorted(r.record.plate for r in finals) == sorted(plates)
    for final in finals:
        rec = final.record
        previews = [
            r for r in reads if r.record.status == "preview" and r.record.track_key == rec.track_key
        ]
        assert len(previews) <= 1
        assert rec.frames >= 2 and final.snapshot is not None and final.crop is not None
        assert rec.first_seen <= rec.last_seen
        assert len(rec.char_alternatives) == len(rec.plate)
        assert all(pos and pos[0][1] >= pos[-1][1] for pos in rec.char_alternatives)


def test_bench_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rtcc.cli.main import main

    src = shared_path("data/plates-dev/labels.csv")
    with src.open() as fh:
        rows = list(csv.DictReader(fh))[:4]
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"file": str(src.parent / row["file"])})
    code = main(
        [
            "bench",
            "lpr",
            "--labels",
            str(labels),
            "--baseline",
            "--json",
            "--model-dir",
            str(shared_path("models")),
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in (
        "inputs",
        "exact_accuracy",
        "folded_accuracy",
        "detection_recall",
        "ms_median",
        "ms_p95",
    ):
        assert key in result and key in result["baseline"]
    assert result["inputs"] == 4 and result["exact_accuracy"] >= 0.75


def test_bench_cli_rejects_a_bad_labels_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtcc.cli.main import main

    labels = tmp_path / "labels.csv"
    labels.write_text("file,plate_text\nx.jpg,ABC\n")
    assert (
        main(["bench", "lpr", "--labels", str(labels), "--model-dir", str(shared_path("models"))])
        == 2
    )
    assert "x1" in capsys.readouterr().err
