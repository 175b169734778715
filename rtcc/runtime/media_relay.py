"""A read's photos travel with it from the node that took them to the hub that shows them.

On the node, :func:`gather` reads the read's snapshot and crop (paths relative to the data
directory, under ``media/``) so the forwarder can carry them in the read's bus message, up to
``bus.media_max_bytes`` together (JetStream refuses messages over its size limit; a read whose
photos are larger travels without them and says so in the log). On the hub, :func:`keep` writes
them at the same relative path under its own data directory before the read is stored, so the
console's ``/media/…`` links work on every API instance that shares that folder.

Photos are evidence and written once: a file already there (a redelivery, or a hub that shares
its data folder with the node) is left as it is. A path that is not a JPEG under ``media/`` is
refused (logged, never written).
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from cameras.messages import ReadMessage
from rtcc import datadir

log = logging.getLogger(__name__)
SUFFIXES = {".jpg", ".jpeg"}


def media_path(data_dir: Path, rel: str) -> Path | None:
    """Where the media file ``rel`` (relative to the data directory) lives; None when ``rel``
    is not a JPEG inside ``media/``."""
    pure = PurePosixPath(rel)
    if (
        pure.is_absolute()
        or "\x00" in rel
        or ".." in pure.parts
        or pure.parts[:1] != ("media",)
        or pure.suffix.lower() not in SUFFIXES
    ):
        return None
    root = (data_dir / "media").resolve()
    target = (data_dir / pure).resolve()
    return target if target.is_relative_to(root) else None


def gather(data_dir: Path, msg: ReadMessage, *, max_bytes: int) -> dict[str, bytes]:
    """The read's photo files by relative path (none when over ``max_bytes`` together)."""
    out: dict[str, bytes] = {}
    for rel in (msg.snapshot_path, msg.crop_path):
        path = media_path(data_dir, rel) if rel else None
        if rel is None or path is None or rel in out:
            continue
        try:
            out[rel] = path.read_bytes()
        except OSError as exc:
            log.warning("read photo %s not sent: %s", rel, exc.strerror or exc)
    size = sum(len(b) for b in out.values())
    if size > max_bytes:
        log.warning(
            "photos of a read on %s not sent: %d bytes, over bus.media_max_bytes (%d)",
            msg.camera_id,
            size,
            max_bytes,
        )
        return {}
    return out


def keep(data_dir: Path, media: dict[str, bytes]) -> int:
    """Write the photos not already there; how many were written. Raises ``OSError`` when one
    cannot be written (a full disk): the read is then not stored and comes again."""
    written = 0
    for rel, data in media.items():
        path = media_path(data_dir, rel)
        if path is None:
            log.warning("refusing a read photo at %r: not a JPEG under media/", rel)
            continue
        if path.exists():
            continue  # written once: a redelivery, or a folder shared with the node
        datadir.write_atomic(path, data)
        written += 1
    return written
