"""``rtcc evidence export|verify|public-key|list``: signed evidence packages from the CLI.

``verify`` needs no settings and no database: it checks a folder or zip on its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.errors import InvalidInputError
from rtcc.evidence import collect, custody, service
from rtcc.evidence.collect import Scope
from rtcc.evidence.verify import verify


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("evidence", help="signed evidence exports with a chain of custody")
    esub = p.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    exp = esub.add_parser("export", help="export a hit, a read, an alert or a time window")
    add_config(exp)
    what = exp.add_mutually_exclusive_group(required=True)
    what.add_argument("--hit", type=int, help="hit id (window around it: evidence.pre_s/post_s)")
    what.add_argument("--read", type=int, help="plate read id")
    what.add_argument("--gunshot", type=int, help="gunshot alert id (its bookmarked cameras)")
    what.add_argument("--camera", action="append", help="camera id (repeat for several)")
    exp.add_argument("--start", help="ISO-8601 window start (with --camera)")
    exp.add_argument("--end", help="ISO-8601 window end (with --camera)")
    exp.add_argument("--pre", type=float, help="seconds before a hit or read")
    exp.add_argument("--post", type=float, help="seconds after a hit or read")
    exp.add_argument("--case", required=True, help="case number")
    exp.add_argument("--reason", required=True, help="why the evidence is exported")
    exp.add_argument("--authority", help="legal authority (warrant, subpoena, ...)")
    exp.add_argument("--out", required=True, type=Path, help="new folder, or a file ending .zip")
    exp.set_defaults(func=_export)
    ver = esub.add_parser("verify", help="check a package's signature and files (offline)")
    ver.add_argument("path", type=Path, help="package folder or zip")
    ver.add_argument("--key", type=Path, help="published public key file (default: key.pub)")
    ver.set_defaults(func=_verify)
    pub = esub.add_parser("public-key", help="print the evidence signing public key")
    add_config(pub)
    pub.set_defaults(func=_public_key)
    ls = esub.add_parser("list", help="exports (of one case)")
    add_config(ls)
    ls.add_argument("--case", help="case number")
    ls.set_defaults(func=_list)


def _instant(value: str | None, name: str) -> datetime:
    if not value:
        raise InvalidInputError(f"--{name}: required with --camera", field=name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"--{name}: not an ISO-8601 time: {value!r}", field=name) from None
    if parsed.tzinfo is None:
        raise InvalidInputError(f"--{name}: needs a time zone (e.g. Z)", field=name)
    return parsed


def _check_out(out: Path) -> None:
    if out.suffix.lower() == ".zip":
        if out.exists():
            raise InvalidInputError(f"--out: {out} exists (never overwritten)", field="out")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInputError(f"--out: {out} exists and is not an empty folder", field="out")
    elif out.exists():
        out.rmdir()


def _scope(args: argparse.Namespace, session: collect.Session, pre: timedelta,
           post: timedelta) -> Scope:
    if args.hit is not None:
        return collect.resolve_hit(session, args.hit, pre=pre, post=post)
    if args.read is not None:
        return collect.resolve_read(session, args.read, pre=pre, post=post)
    if args.gunshot is not None:
        return collect.resolve_gunshot(session, args.gunshot)
    cams = tuple(dict.fromkeys(args.camera))
    return Scope(cams, _instant(args.start, "start"), _instant(args.end, "end"), "window")


def _export(args: argparse.Namespace) -> int:
    _check_out(args.out)
    with cli_context(args) as ctx:
        ev = ctx.settings.evidence
        pre = timedelta(seconds=ev.pre_s if args.pre is None else args.pre)
        post = timedelta(seconds=ev.post_s if args.post is None else args.post)
        with transaction(ctx.sessions) as s:
            started = service.start(
                s, scope=_scope(args, s, pre, post), case_number=args.case, reason=args.reason,
                legal_authority=args.authority, actor=ctx.actor, now=ctx.clock.now(),
                settings=ctx.settings,
            )

        def show(fraction: float, stage: str) -> None:
            print(f"\r{fraction:4.0%} {stage:<24}", end="", file=sys.stderr, flush=True)

        row = service.build(started, sessions=ctx.sessions, settings=ctx.settings,
                            clock=ctx.clock, actor=ctx.actor, on_progress=show)
        print(file=sys.stderr)
        with transaction(ctx.sessions) as s:  # recorded first: the copy's log names it
            custody.record_download(
                s, export_id=row.id, actor=ctx.actor, now=ctx.clock.now(),
                settings=ctx.settings, as_="zip" if args.out.suffix == ".zip" else "folder",
            )
        with ctx.sessions() as s:
            done = service.get_export(s, export_id=row.id)
            custody.write_copy(s, row=done, settings=ctx.settings, dest=args.out)
    print(f"evidence export {row.id} (case {row.case_number}): {row.files} files, "
          f"{row.bytes} bytes, manifest sha256 {row.manifest_sha256}")
    print(f"written to {args.out}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    key = args.key.read_text(encoding="utf-8") if args.key else None
    report = verify(args.path, public_key=key)
    for problem in report.problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if not report.ok:
        print(f"{args.path}: verification FAILED ({len(report.problems)} problem(s))",
              file=sys.stderr)
        return 1
    source = "key.pub in the package" if report.key_from_package else "the key given"
    m = report.manifest
    print(f"{args.path}: OK — signature by key {report.key_id} ({source}), "
          f"{report.files_checked} file(s) intact, {report.custody_entries} custody entries")
    print(f"case {m.get('case_number')}, window {m['window']['start']} to {m['window']['end']}")
    if report.key_from_package:
        print("compare the key id with the one your RTCC installation publishes")
    return 0


def _public_key(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        print(service.signing_key(ctx.settings).public.file_text(), end="")
    return 0


def _list(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx, ctx.sessions() as s:
        for row in custody.list_exports(s, case_number=args.case):
            print(f"{row.id}\t{row.case_number}\t{row.status}\t{row.created_at.isoformat()}\t"
                  f"{row.requested_by}\t{row.path or ''}")
    return 0
