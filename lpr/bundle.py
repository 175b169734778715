"""Model bundles: where the plate models live offline, and checking them by sha256.

A bundle is laid out like fast-alpr's caches::

    <dir>/open-image-models/<detector-name>/<file>.onnx
    <dir>/fast-plate-ocr/<ocr-name>/<file>.onnx + <file>_plate_config.yaml
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rtcc.errors import ModelError

DETECTOR_ROOT = "open-image-models"
OCR_ROOT = "fast-plate-ocr"


@dataclass(frozen=True)
class OcrFiles:
    onnx: Path
    config: Path


@dataclass(frozen=True)
class FileCheck:
    path: str  # relative to the bundle
    ok: bool
    message: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(bundle: Path | None = None) -> dict[str, str]:
    """Known hashes: the ones shipped with the product, plus a bundle's own manifest.json."""
    shipped = resources.files("lpr").joinpath("data/manifest.json").read_text(encoding="utf-8")
    files: dict[str, str] = dict(json.loads(shipped)["files"])
    if bundle is not None and (bundle / "manifest.json").is_file():
        try:
            extra = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))["files"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{bundle / 'manifest.json'}: unreadable manifest: {exc}") from None
        for rel, digest in extra.items():
            if rel in files and files[rel] != digest:
                raise ModelError(f"{bundle / 'manifest.json'}: {rel} disagrees with shipped hash")
            files[rel] = digest
    return files


def detector_file(bundle: Path, model: str) -> Path:
    folder = bundle / DETECTOR_ROOT / model
    found = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
    if not found:
        raise ModelError(f"detector {model!r}: no .onnx file in {folder}")
    return found[0]


def ocr_files(bundle: Path, model: str) -> OcrFiles:
    folder = bundle / OCR_ROOT / model
    onnx = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
    if not onnx:
        raise ModelError(f"OCR {model!r}: no .onnx file in {folder}")
    config = onnx[0].with_name(onnx[0].stem + "_plate_config.yaml")
    if not config.is_file():
        configs = sorted(folder.glob("*.yaml"))
        if not configs:
            raise ModelError(f"OCR {model!r}: no plate config .yaml in {folder}")
        config = configs[0]
    return OcrFiles(onnx=onnx[0], config=config)


def model_files(bundle: Path) -> list[Path]:
    return sorted(
        p
        for root in (DETECTOR_ROOT, OCR_ROOT)
        if (bundle / root).is_dir()
        for p in (bundle / root).rglob("*")
        if p.is_file() and p.suffix in {".onnx", ".yaml", ".yml"}
    )


def verify_bundle(bundle: Path) -> list[FileCheck]:
    """Check every model file in ``bundle`` against the manifest; unknown files are failures."""
    if not bundle.is_dir():
        raise ModelError(f"{bundle}: model directory does not exist")
    manifest = load_manifest(bundle)
    files = model_files(bundle)
    if not files:
        raise ModelError(f"{bundle}: no model files (expected {DETECTOR_ROOT}/ and {OCR_ROOT}/)")
    checks = []
    for path in files:
        rel = path.relative_to(bundle).as_posix()
        expected = manifest.get(rel)
        if expected is None:
            checks.append(FileCheck(rel, False, "not in the manifest (unknown file)"))
            continue
        actual = sha256_of(path)
        if actual == expected:
            checks.append(FileCheck(rel, True, "sha256 ok"))
        else:
            checks.append(
                FileCheck(rel, False, f"sha256 mismatch: {actual[:12]}… != {expected[:12]}…")
            )
    return checks


def install_bundle(source: Path, target: Path) -> list[FileCheck]:
    """Copy a verified bundle into ``target``; nothing is written unless every file checks."""
    checks = verify_bundle(source)
    bad = [c for c in checks if not c.ok]
    if bad:
        raise ModelError("refusing to install: " + "; ".join(f"{c.path}: {c.message}" for c in bad))
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".install-") as tmp:
        staging = Path(tmp)
        for check in checks:
            dest = staging / check.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / check.path, dest)
        if (source / "manifest.json").is_file():
            shutil.copy2(source / "manifest.json", staging / "manifest.json")
        staged = verify_bundle(staging)
        if not all(c.ok for c in staged):
            raise ModelError("copy did not verify; target left unchanged")
        for check in staged:
            dest = target / check.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            (staging / check.path).replace(dest)
        if (staging / "manifest.json").is_file():
            (staging / "manifest.json").replace(target / "manifest.json")
    return verify_bundle(target)
