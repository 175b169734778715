"""The vendored map libraries: every file listed with its sha256, each library with its
LICENSE, and (slow, needs npm and the registry) reproduced byte for byte by ``web/vendor.py``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from web.vendor import PACKAGES, VENDOR, check, read_sums


def test_vendored_files_match_their_checksums() -> None:
    assert check() == []
    listed = read_sums()
    assert set(listed) == {t for files in PACKAGES.values() for t in files.values()}
    for files in PACKAGES.values():
        licence = next(t for inner, t in files.items() if inner == "LICENSE")
        assert (VENDOR / licence).stat().st_size > 100


def test_check_names_a_changed_and_an_unlisted_file(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    (copy / "leaflet" / "leaflet.js").write_text("alert('tampered')")
    (copy / "extra.js").write_text("")
    assert check(copy) == ["leaflet/leaflet.js: sha256 differs from SHA256SUMS",
                           "extra.js: not listed in SHA256SUMS"]


@pytest.mark.slow
def test_vendor_script_reproduces_the_files_from_npm() -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    before = {p: p.read_bytes() for p in VENDOR.rglob("*") if p.is_file()}
    proc = subprocess.run([sys.executable, "web/vendor.py"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0 and "npm pack" in proc.stderr and "failed" in proc.stderr:
        pytest.skip(f"npm registry not reachable: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stderr
    after = {p: p.read_bytes() for p in VENDOR.rglob("*") if p.is_file()}
    assert after == before
