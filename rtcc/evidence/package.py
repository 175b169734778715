"""Write a package folder: clips, stills, data, README, manifest, signature, key, custody log.

Pure file work on plain data (no database). Every file except the manifest's own companions is
listed in ``manifest.json`` with its SHA-256 and size; the manifest is signed (minisign). The
custody log grows after creation (each download appends a line), so it is not in the manifest:
it carries its own signature, and its first line repeats the manifest's creation record.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rtcc import __version__
from rtcc.evidence import clip
from rtcc.evidence.collect import Collected, Scope
from rtcc.evidence.minisign import SigningKey

FORMAT = "rtcc-evidence-export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
PUBLIC_KEY = "key.pub"
CUSTODY_LOG = "custody/log.jsonl"
CUSTODY_SIG = "custody/log.jsonl.minisig"
UNLISTED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY, CUSTODY_LOG, CUSTODY_SIG})
CLOCK_UNKNOWN = (
    "unknown: the camera's clock offset was not measured at recording time; times are the "
    "recording server's UTC clock when each segment started"
)
README = """RTCC evidence export
====================

manifest.json          what this package holds: case, requester, reason, window, cameras,
                       and the SHA-256 and size of every file
manifest.json.minisig  Ed25519 signature of manifest.json (minisign format)
key.pub                the signing public key; compare its key id with the one the RTCC
                       installation publishes (GET /api/evidence/public-key, or
                       `rtcc evidence public-key`)
video/<camera>.mp4     the recording of each camera for exactly the window, cut by stream
                       copy (not re-encoded); gaps in the recording are listed in the manifest
stills/                the snapshot and plate crop of each read in the window
data/                  reads, hits (with dispositions and history), source segments and the
                       audit events about these items, as JSON
custody/log.jsonl      chain of custody: creation, then one line per download (signed
                       separately: custody/log.jsonl.minisig)

Verify (no RTCC database needed):
  minisign -Vm manifest.json -p key.pub
  sha256sum each file against manifest.json, or: rtcc evidence verify <folder or zip>
"""


class ExportCancelled(Exception):  # noqa: N818 - a signal
    """Raised when the caller cancelled the export while it was being built."""


Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Request:
    """Who asks for what, and why (the inputs besides the data)."""

    case_number: str
    reason: str
    legal_authority: str | None
    requester: str
    scope: Scope


@dataclass(frozen=True)
class Built:
    manifest_sha256: str
    bytes: int
    files: int
    manifest: dict[str, Any]


def canonical_json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _video(
    req: Request, got: Collected, root: Path, progress: Progress, cancelled: Callable[[], bool]
) -> list[dict[str, Any]]:
    scope = req.scope
    out = []
    n = max(len(scope.cameras), 1)
    for i, cam_id in enumerate(scope.cameras):
        progress(0.05 + 0.75 * i / n, f"video {cam_id}")
        sources = got.sources.get(cam_id, [])
        rel = f"video/{cam_id}.mp4"
        (root / "video").mkdir(exist_ok=True)
        try:
            result = clip.cut(
                sources, scope.start_at, scope.end_at, root / rel, cancelled=cancelled
            )
        except clip.Cancelled:
            raise ExportCancelled() from None
        gaps = clip.find_gaps(sources, scope.start_at, scope.end_at)
        out.append({
            "camera_id": cam_id,
            "file": rel if result.packets else None,
            "frames_in_window": result.frames_in_window,
            "first_frame_at": _iso(result.first_at),
            "last_frame_at": _iso(result.last_at),
            "gaps": [
                {"start": _iso(g.start_at), "end": _iso(g.end_at), "seconds": g.seconds}
                for g in gaps
            ],
            "segments": [s.segment_id for s in sources],
        })
    return out


def _write_json(root: Path, rel: str, data: Any) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_json(data))


def _sources(got: Collected) -> list[dict[str, Any]]:
    """The recorded segments the clips come from, with their hashes at export time."""
    by_id = {s.segment_id: s for srcs in got.sources.values() for s in srcs}
    out = []
    for seg in got.segments:
        src = by_id[seg["id"]]
        out.append({
            "segment_id": seg["id"], "camera_id": seg["camera_id"], "path": seg["path"],
            "start": seg["start_at"], "end": seg["end_at"],
            "sha256": sha256_file(src.path), "bytes": src.path.stat().st_size,
        })
    return out


def build(
    req: Request,
    got: Collected,
    *,
    data_dir: Path,
    root: Path,
    key: SigningKey,
    created: dict[str, Any],
    progress: Progress = lambda f, s: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Built:
    """Write the package into the empty folder ``root`` (the caller renames it when done)."""
    video = _video(req, got, root, progress, cancelled)
    progress(0.8, "stills")
    for src_rel, dst_rel in got.images:
        if cancelled():
            raise ExportCancelled()
        dst = root / dst_rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / src_rel, dst)
    progress(0.85, "data")
    _write_json(root, "data/reads.json", got.reads)
    _write_json(root, "data/hits.json", got.hits)
    _write_json(root, "data/audit.json", got.audit)
    sources = _sources(got)
    _write_json(root, "data/segments.json", sources)
    (root / "README.txt").write_text(README, encoding="utf-8")
    progress(0.9, "hashing")
    manifest = _manifest(req, got, root, video=video, sources=sources, created=created)
    body = canonical_json(manifest)
    (root / MANIFEST).write_bytes(body)
    sha = hashlib.sha256(body).hexdigest()
    progress(0.97, "signing")
    (root / SIGNATURE).write_text(key.sign(
        body,
        trusted_comment=f"rtcc evidence export {created['export_id']} manifest sha256:{sha}",
        untrusted_comment=f"signature of manifest.json by rtcc key {key.public.id_text}",
    ))
    (root / PUBLIC_KEY).write_text(key.public.file_text())
    entry = {"event": "created", **created, "manifest_sha256": sha}
    write_custody(root, key, [entry], export_id=created["export_id"])
    total = sum(f["bytes"] for f in manifest["files"]) + len(body)
    return Built(sha, total, len(manifest["files"]), manifest)


def _manifest(
    req: Request,
    got: Collected,
    root: Path,
    *,
    video: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    created: dict[str, Any],
) -> dict[str, Any]:
    scope = req.scope
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in UNLISTED:
            files.append({"path": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size})
    return {
        "format": FORMAT,
        "case_number": req.case_number,
        "requester": req.requester,
        "reason": req.reason,
        "legal_authority": req.legal_authority,
        "request": {"kind": scope.source_kind, "id": scope.source_id,
                    "read_ids": list(scope.read_ids)},
        "window": {"start": _iso(scope.start_at), "end": _iso(scope.end_at),
                   "seconds": (scope.end_at - scope.start_at).total_seconds()},
        "cameras": [{**c, "clock_offset_s": None, "clock_offset": CLOCK_UNKNOWN}
                    for c in got.cameras],
        "video": video,
        "sources": sources,
        "counts": {"reads": len(got.reads), "hits": len(got.hits),
                   "audit_events": len(got.audit), "stills": len(got.images)},
        "files": files,
        "custody_log": f"{CUSTODY_LOG} (signed separately in {CUSTODY_SIG}: it grows with "
                       "each download)",
        "software": f"rtcc {__version__}",
        "created": created,
    }


def write_custody(root: Path, key: SigningKey, entries: list[dict[str, Any]], *,
                  export_id: int) -> None:
    """Write the custody log (one JSON object a line) and its signature into ``root``."""
    body = "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in entries)
    data = body.encode()
    (root / CUSTODY_LOG).parent.mkdir(parents=True, exist_ok=True)
    (root / CUSTODY_LOG).write_bytes(data)
    (root / CUSTODY_SIG).write_text(key.sign(
        data,
        trusted_comment=f"rtcc custody log of export {export_id}, {len(entries)} entries",
        untrusted_comment=f"signature of the custody log by rtcc key {key.public.id_text}",
    ))
