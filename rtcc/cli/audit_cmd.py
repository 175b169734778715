"""``rtcc audit verify``: walk the hash chain; exit 1 naming the first broken row."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rtcc.audit import check_chain
from rtcc.config import load_settings
from rtcc.db import make_engine, make_sessionmaker


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("audit", help="audit trail tools")
    asub = cmd.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = asub.add_parser("verify", help="check the audit trail's hash chain")
    add_config(verify)
    verify.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            report = check_chain(session)
    finally:
        engine.dispose()
    if report.problem is not None:
        p = report.problem
        print(f"audit chain BROKEN at row {p.row_id} ({p.kind}): {p.message}", file=sys.stderr)
        print(f"{report.rows} row(s) before it verified", file=sys.stderr)
        return 1
    print(f"audit chain intact: {report.rows} row(s), last row {report.last_id}, "
          f"head {report.last_hash[:16]}")
    return 0
