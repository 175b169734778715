"""Running ``rtcc`` commands in-process in tests."""

from __future__ import annotations

import json

import pytest

from rtcc.cli.main import main


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """Run ``rtcc ARGV`` (exit 0 expected) and parse the JSON object it prints last."""
    assert main(argv) == 0
    out = capsys.readouterr().out
    return dict(json.loads(out[out.index("{") :]))
