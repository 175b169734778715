"""Every onnxruntime session of the recognizer runs a fixed number of threads that sleep when
idle (``lpr.threads`` intra-op, one inter-op, no spinning): many cameras, or a shared detector
next to the camera workers, must not oversubscribe the cores or burn them waiting."""

from __future__ import annotations

from typing import Any

import pytest

from lpr.recognizer import FastAlprRecognizer, build_recognizer, session_options
from rtcc.config import LprSettings
from tests.support.paths import shared_path

SPIN = ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning")


def _threads_and_spinning(opts: Any) -> tuple[int, int, list[str]]:
    return (
        opts.intra_op_num_threads,
        opts.inter_op_num_threads,
        [opts.get_session_config_entry(key) for key in SPIN],
    )


@pytest.mark.parametrize("threads", [1, 3])
def test_session_options_fix_the_threads_and_turn_spinning_off(threads: int) -> None:
    assert _threads_and_spinning(session_options(threads)) == (threads, 1, ["0", "0"])


@pytest.mark.slow
def test_every_loaded_session_has_those_options() -> None:
    """The options reach the sessions the models actually run on (detector and each OCR
    model), as onnxruntime reports them back."""
    rec = build_recognizer(LprSettings(model_dir=shared_path("models"), threads=2))
    assert isinstance(rec, FastAlprRecognizer)
    sessions = [rec.detector.model, *[m.rec.model for m in rec.ocr.models]]
    assert len(sessions) == 1 + 1 + len(rec.settings.extra_ocr_models)
    for session in sessions:
        opts = session.get_session_options()
        assert _threads_and_spinning(opts) == (2, 1, ["0", "0"]), session
