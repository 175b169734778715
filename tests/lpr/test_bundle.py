"""Offline model bundles: verify by sha256, install only verified copies, load with no network."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lpr.bundle import install_bundle, verify_bundle
from rtcc.cli.main import main
from rtcc.errors import ModelError

DETECTOR = (
    "open-image-models/yolo-v9-t-416-license-plate-end2end/"
    "yolo-v9-t-416-license-plates-end2end.onnx"
)
OCR = "fast-plate-ocr/cct-xs-v2-global-model/cct_xs_v2_global.onnx"


@pytest.fixture
def bundle_copy(model_dir: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "bundle"
    shutil.copytree(model_dir, dest, ignore=shutil.ignore_patterns("*.md"))
    return dest


def test_shared_bundle_verifies(model_dir: Path) -> None:
    checks = verify_bundle(model_dir)
    assert {c.path for c in checks} >= {DETECTOR, OCR}
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]


def test_corrupted_file_fails_verify_and_names_it(
    bundle_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = bundle_copy / OCR
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    assert main(["models", "verify", "--dir", str(bundle_copy)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {OCR}: sha256 mismatch" in out
    assert f"ok   {DETECTOR}" in out


def test_unknown_file_is_not_trusted(bundle_copy: Path) -> None:
    extra = bundle_copy / "fast-plate-ocr/cct-xs-v2-global-model/other.onnx"
    extra.write_bytes(b"not a model")
    bad = [c for c in verify_bundle(bundle_copy) if not c.ok]
    assert [c.path for c in bad] == ["fast-plate-ocr/cct-xs-v2-global-model/other.onnx"]


def test_install_copies_a_verified_bundle(bundle_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    assert main(["models", "install", "--from", str(bundle_copy), "--to", str(target)]) == 0
    assert all(c.ok for c in verify_bundle(target))
    assert (target / DETECTOR).is_file()


def test_install_refuses_a_corrupted_bundle_and_writes_nothing(
    bundle_copy: Path, tmp_path: Path
) -> None:
    (bundle_copy / DETECTOR).write_bytes(b"truncated")
    target = tmp_path / "installed"
    with pytest.raises(ModelError, match="refusing to install"):
        install_bundle(bundle_copy, target)
    assert not target.exists() or not any(target.rglob("*.onnx"))


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    assert main(["models", "verify", "--dir", str(tmp_path / "nope")]) == 2


@pytest.mark.slow
def test_recognizer_loads_offline_from_a_directory(bundle_copy: Path, tmp_path: Path) -> None:
    """A fresh HOME (no fast-alpr cache) and sockets that refuse to connect: still reads plates."""
    import cv2
    import numpy as np

    from cameras.synthetic import render_plate

    scene = np.full((480, 640, 3), 90, np.uint8)
    scene[300:364, 190:450] = render_plate("KPD4821")
    image = tmp_path / "scene.png"
    cv2.imwrite(str(image), scene)
    script = textwrap.dedent(
        f"""
        import socket, cv2
        from pathlib import Path
        def refuse(*a, **k): raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from rtcc.config import LprSettings
        from lpr.recognizer import build_recognizer
        rec = build_recognizer(LprSettings(model_dir=Path({str(bundle_copy)!r})))
        print([o.text for o in rec.recognize(cv2.imread({str(image)!r}))])
        """
    )
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "KPD4821" in proc.stdout
    # Nothing was fetched into fast-alpr's caches (onnxruntime keeps only a device id there).
    assert not (home / ".cache/open-image-models").exists()
    assert not (home / ".cache/fast-plate-ocr").exists()
