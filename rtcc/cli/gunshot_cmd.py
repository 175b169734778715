"""``rtcc gunshot import FILE [--source NAME]``: past gunshot alerts from a CSV file.

The file is checked whole first (exit 2 naming the first bad line); then every alert is stored
as a new version of its ``(source, id)`` with its covering cameras bookmarked (and their
recordings held from retention), in one transaction, and the import is audited.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rtcc import audit
from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.integrations.gunshot_csv import read_alerts
from rtcc.integrations.gunshot_service import store
from rtcc.runtime.gunshots import hold_bookmarks


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gunshot", help="gunshot detection alerts")
    gsub = p.add_subparsers(dest="gunshot_command", required=True, metavar="ACTION")
    imp = gsub.add_parser("import", help="import past alerts from a CSV file (all or nothing)")
    add_config(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", default="import", help="source name stored with the alerts")
    imp.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    alerts = read_alerts(args.file)
    with cli_context(args) as ctx:
        cfg = ctx.settings.integrations.gunshot
        now = ctx.clock.now()
        with transaction(ctx.sessions) as session:
            covered = 0
            for item in alerts:
                received = store(session, alert=item.alert, data=item.data, source=args.source,
                                 cfg=cfg, now=now)
                hold_bookmarks(session, received, cfg=cfg, now=now)
                covered += bool(received.out.covering)
            audit.record(
                session, now=now, actor=ctx.actor, action="gunshot.import",
                target=str(args.file)[-200:],
                details={"source": args.source, "alerts": len(alerts), "covered": covered},
            )
    print(f"{args.file}: {len(alerts)} alert version(s) imported from source {args.source!r},"
          f" {covered} covered by a camera")
    return 0
