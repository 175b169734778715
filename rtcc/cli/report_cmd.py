"""``rtcc report transparency --year Y --format json|html|pdf``: the EO 78 yearly report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rtcc import audit
from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.transparency import report as transparency
from rtcc.transparency.pdf import html_to_pdf
from rtcc.transparency.render import render_html

FORMATS = ("json", "html", "pdf")


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("report", help="reports computed from the system's own records")
    rsub = cmd.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    tr = rsub.add_parser("transparency", help="the yearly surveillance-technology report")
    tr.add_argument("--year", type=int, required=True)
    tr.add_argument("--format", choices=FORMATS, default="json")
    tr.add_argument("--public", action="store_true",
                    help="the public version: counts below transparency.suppress_below hidden")
    tr.add_argument("--output", type=Path, metavar="FILE", help="default: stdout")
    add_config(tr)
    tr.set_defaults(func=_transparency)


def _transparency(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        settings = ctx.settings
        with transaction(ctx.sessions) as session:
            now = ctx.clock.now()
            report = transparency.build(session, year=args.year, settings=settings, now=now,
                                        public=args.public)
            audit.record(session, now=now, actor=ctx.actor, action="transparency.report",
                         target=f"transparency:{args.year}",
                         details={"format": args.format, "public": args.public,
                                  "figures_digest": report["figures_digest"]})
    if args.format == "json":
        data = (json.dumps(report, indent=2, sort_keys=True) + "\n").encode()
    else:
        html = render_html(report)
        data = html.encode() if args.format == "html" else html_to_pdf(
            html, chromium=settings.transparency.chromium,
            timeout_s=settings.transparency.pdf_timeout_s)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(f"transparency report {args.year} ({args.format}) -> {args.output}",
              file=sys.stderr)
    return 0
