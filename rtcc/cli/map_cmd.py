"""``rtcc map import FILE``: an offline raster base map (PMTiles or MBTiles) for the console.

The file is checked, copied into ``data_dir/maps/`` under its sha256 and becomes the map's base
layer; the checksum is printed so it can be compared with the publisher's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.integrations.basemap import import_basemap


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("map", help="the console's offline base map")
    msub = p.add_subparsers(dest="map_command", required=True, metavar="ACTION")
    imp = msub.add_parser("import", help="import a raster PMTiles or MBTiles file")
    add_config(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx, transaction(ctx.sessions) as session:
        row = import_basemap(session, source=args.file, data_dir=ctx.settings.data_dir,
                             actor=ctx.actor, now=ctx.clock.now())
        summary = (
            f"{args.file}: {row.format} {row.tile_type} map {row.name!r}, zoom"
            f" {row.min_zoom}-{row.max_zoom}, {row.bytes:,} bytes\nsha256 {row.sha256}"
        )
    print(summary)
    return 0
