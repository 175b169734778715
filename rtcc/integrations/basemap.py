"""Offline base maps: a raster PMTiles or MBTiles file imported into the data directory (by its
sha256), then served tile by tile to the console's map, so the map works air-gapped.

Only raster tilesets (PNG, JPEG, WebP) are accepted: the console draws tiles as images.
"""

from __future__ import annotations

import gzip
import hashlib
import mmap
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pmtiles.reader import Reader
from pmtiles.tile import Compression, TileType, deserialize_header
from sqlalchemy import select
from sqlalchemy.orm import Session

from rtcc import audit
from rtcc.errors import InvalidInputError
from rtcc.models import BaseMap

MAPS_DIR = "maps"  # under data_dir
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_PMTILES_TYPES = {TileType.PNG: "png", TileType.JPEG: "jpeg", TileType.WEBP: "webp"}
_MBTILES_TYPES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Tileset:
    format: str  # pmtiles | mbtiles
    tile_type: str  # png | jpeg | webp
    min_zoom: int
    max_zoom: int
    bounds: list[float] | None  # [west, south, east, north]
    name: str | None


def _bad(path: Path, why: str) -> InvalidInputError:
    return InvalidInputError(f"{path}: {why}", field="file")


def _inspect_pmtiles(path: Path, head: bytes) -> Tileset:
    try:
        header = deserialize_header(head[:127])
    except Exception as exc:  # noqa: BLE001 - the library raises several kinds
        raise _bad(path, f"not a PMTiles v3 file ({type(exc).__name__})") from None
    kind = _PMTILES_TYPES.get(header["tile_type"])
    if kind is None:
        raise _bad(path, f"{header['tile_type'].name} tiles: only raster PNG/JPEG/WebP maps")
    bounds = [header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
              header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7]
    return Tileset("pmtiles", kind, header["min_zoom"], header["max_zoom"], bounds, None)


def _inspect_mbtiles(path: Path) -> Tileset:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    except sqlite3.Error as exc:
        raise _bad(path, f"not an MBTiles file: {exc}") from None
    kind = _MBTILES_TYPES.get(str(meta.get("format", "")).lower())
    if kind is None:
        raise _bad(path, f"format {meta.get('format')!r}: only raster png/jpg/webp maps")
    if zooms is None or zooms[0] is None:
        raise _bad(path, "has no tiles")
    bounds = None
    if meta.get("bounds"):
        try:
            bounds = [float(v) for v in str(meta["bounds"]).split(",")][:4]
        except ValueError:
            raise _bad(path, f"bad bounds {meta['bounds']!r}") from None
    return Tileset("mbtiles", kind, int(zooms[0]), int(zooms[1]), bounds, meta.get("name"))


def inspect(path: Path) -> Tileset:
    """What kind of tileset ``path`` holds; raises ``InvalidInputError`` (field ``file``)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(127)
    except OSError as exc:
        raise _bad(path, f"cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"PMTiles"):
        return _inspect_pmtiles(path, head)
    if head.startswith(SQLITE_MAGIC):
        return _inspect_mbtiles(path)
    raise _bad(path, "neither PMTiles nor MBTiles")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_basemap(
    session: Session, *, source: Path, data_dir: Path, actor: audit.Actor, now: datetime
) -> BaseMap:
    """Copy a checked tileset into ``data_dir/maps/<sha256>.<format>`` and make it the map."""
    tiles = inspect(source)
    sha = sha256_of(source)
    relative = Path(MAPS_DIR) / f"{sha}.{tiles.format}"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
    row = BaseMap(
        name=tiles.name or source.name, format=tiles.format, tile_type=tiles.tile_type,
        sha256=sha, bytes=target.stat().st_size, path=relative.as_posix(),
        min_zoom=tiles.min_zoom, max_zoom=tiles.max_zoom, bounds=tiles.bounds,
        imported_by=actor.username or "unknown", imported_at=now,
    )
    session.add(row)
    audit.record(session, now=now, actor=actor, action="map.import", target=source.name[:200],
                 details={"sha256": sha, "format": tiles.format, "bytes": row.bytes})
    session.flush()
    return row


def current_basemap(session: Session) -> BaseMap | None:
    return session.scalars(select(BaseMap).order_by(BaseMap.id.desc()).limit(1)).first()


@contextmanager
def _pmtiles_reader(path: Path) -> Iterator[Any]:
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
        yield Reader(lambda offset, length: mapping[offset:offset + length])


def read_tile(path: Path, fmt: str, z: int, x: int, y: int) -> bytes | None:
    """One tile (XYZ scheme) of an imported map, or None where the map has none."""
    if not 0 <= x < 2 ** z or not 0 <= y < 2 ** z:
        return None
    if fmt == "pmtiles":
        with _pmtiles_reader(path) as reader:
            data = reader.get(z, x, y)
            if data is not None and reader.header()["tile_compression"] == Compression.GZIP:
                data = gzip.decompress(data)
        return bytes(data) if data is not None else None
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2 ** z - 1 - y),  # MBTiles rows count from the south (TMS)
        ).fetchone()
    return bytes(row[0]) if row is not None else None
