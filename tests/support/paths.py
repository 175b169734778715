"""Where things are: the checkout, ``../shared`` (real footage and models) and the optional
PostgreSQL server the storage tests also run on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("RTCC_SHARED_DIR", ROOT.parent / "shared"))
POSTGRES_URL = os.environ.get("RTCC_TEST_POSTGRES_URL")


def shared_path(rel: str) -> Path:
    """A file under ../shared, or skip the test on machines that do not have it."""
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{path} not available on this machine")
    return path
