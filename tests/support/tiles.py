"""Small raster tilesets made in the test: PMTiles (with the ``pmtiles`` writer) and MBTiles."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import cv2
import numpy as np
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

COLOURS = [(40, 90, 160), (60, 140, 60), (150, 70, 50), (120, 120, 40)]


def png_tile(z: int, x: int, y: int) -> bytes:
    """A 256 px PNG whose colour and text tell which tile it is."""
    image = np.zeros((256, 256, 3), np.uint8)
    image[:] = COLOURS[(x + y + z) % len(COLOURS)]
    cv2.putText(image, f"{z}/{x}/{y}", (20, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def write_pmtiles(path: Path, max_zoom: int = 2, tile_type: TileType = TileType.PNG) -> None:
    tiles = sorted(
        (zxy_to_tileid(z, x, y), (z, x, y))
        for z in range(max_zoom + 1) for x in range(2 ** z) for y in range(2 ** z)
    )
    with path.open("wb") as fh:
        writer = Writer(fh)
        for tile_id, (z, x, y) in tiles:
            writer.write_tile(tile_id, png_tile(z, x, y))
        writer.finalize(
            {
                "tile_type": tile_type, "tile_compression": Compression.NONE,
                "min_lon_e7": -180 * 10_000_000, "min_lat_e7": -85 * 10_000_000,
                "max_lon_e7": 180 * 10_000_000, "max_lat_e7": 85 * 10_000_000,
                "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0,
            },
            {"name": "test tiles"},
        )


def write_mbtiles(path: Path, max_zoom: int = 1, fmt: str = "png") -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
                   " tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "test mbtiles"), ("format", fmt), ("bounds", "-180,-85,180,85")])
        for z in range(max_zoom + 1):
            for x in range(2 ** z):
                for y in range(2 ** z):
                    db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                               (z, x, 2 ** z - 1 - y, png_tile(z, x, y)))
        db.commit()
