"""``rtcc cameras import FILE [--skip-bad]`` and ``rtcc cameras list``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from cameras.catalog import import_cameras
from cameras.csvimport import read_cameras
from cameras.sources import redact_url
from rtcc.audit import record
from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.models import Camera


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("cameras", help="manage cameras (they live in the database)")
    csub = p.add_subparsers(dest="cameras_command", required=True, metavar="ACTION")
    imp = csub.add_parser("import", help="create or replace cameras from a CSV file")
    add_config(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--skip-bad", action="store_true", help="import without the bad lines")
    imp.set_defaults(func=_import)
    lst = csub.add_parser("list", help="list cameras")
    add_config(lst)
    lst.set_defaults(func=_list)


def _import(args: argparse.Namespace) -> int:
    parsed = read_cameras(args.file, skip_bad=args.skip_bad)  # exit 2 naming bad lines
    for bad in parsed.bad:
        print(f"{args.file}: line {bad.line}: skipped: {bad.reason}", file=sys.stderr)
    with cli_context(args) as ctx, transaction(ctx.sessions) as session:
        now = ctx.clock.now()
        specs = [spec for _, spec in parsed.cameras]
        created, updated = import_cameras(session, specs, now=now)
        record(
            session, actor=ctx.actor, action="cameras.import", target=str(args.file.name),
            details={"created": created, "updated": updated, "skipped": len(parsed.bad)},
            now=now,
        )
    print(f"{args.file}: {created} created, {updated} updated, {len(parsed.bad)} skipped")
    return 0


def _list(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx, ctx.sessions() as session:
        for cam in session.scalars(select(Camera).order_by(Camera.id)):
            state = "enabled" if cam.enabled else "disabled"
            url = redact_url(cam.url) if cam.url else "-"
            print(f"{cam.id}\t{cam.name}\t{state}\t{cam.node or '-'}\t{url}")
    return 0
