"""``rtcc retention run|report|holds``: the retention job, the auditor's report, legal holds."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from retention.executor import Executor, RunOptions
from retention.holds import create_hold, hold_payload, list_holds, release_hold
from retention.report import build_report, format_text
from rtcc.audit_anchor import anchor_from_settings
from rtcc.cli.context import cli_context
from rtcc.db import transaction
from rtcc.errors import InvalidInputError
from rtcc.runtime.anchoring import AfterRetention
from rtcc.vocab import HoldClass, values


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("retention", help="retention job, auditor's report, legal holds")
    rsub = p.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run = rsub.add_parser("run", help="purge what policy says (once)")
    add_config(run)
    run.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    run.add_argument("--now", help="ISO-8601 instant to plan for (only with --dry-run)")
    run.add_argument("--force", action="store_true", help="allow deleting over max_delete_share")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=_run)
    rep = rsub.add_parser("report", help="compliance report (exit 1 when not compliant)")
    add_config(rep)
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=_report)
    _register_holds(rsub, add_config)


def _register_holds(rsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    holds = rsub.add_parser("holds", help="legal holds")
    hsub = holds.add_subparsers(dest="holds_command", required=True, metavar="ACTION")
    ls = hsub.add_parser("list", help="active holds (--all: also released and expired)")
    add_config(ls)
    ls.add_argument("--all", action="store_true")
    ls.set_defaults(func=_holds_list)
    add = hsub.add_parser("add", help="place a hold")
    add_config(add)
    add.add_argument("--case", required=True, help="case number")
    add.add_argument("--reason", required=True)
    add.add_argument(
        "--class", dest="data_class", required=True, choices=values(HoldClass)
    )
    add.add_argument("--expires", required=True, help="ISO-8601 expiry")
    add.add_argument("--ids", help="comma-separated item ids")
    add.add_argument("--camera")
    add.add_argument("--plate")
    add.add_argument("--start", help="ISO-8601 range start")
    add.add_argument("--end", help="ISO-8601 range end")
    add.set_defaults(func=_holds_add)
    rel = hsub.add_parser("release", help="release a hold")
    add_config(rel)
    rel.add_argument("hold_id", type=int)
    rel.set_defaults(func=_holds_release)


def parse_instant(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{field}: not an ISO-8601 time: {value!r}", field=field) from None
    if parsed.tzinfo is None:
        raise InvalidInputError(f"{field}: needs a time zone (e.g. Z or +01:00)", field=field)
    return parsed


def _run(args: argparse.Namespace) -> int:
    now = parse_instant(args.now, "--now")
    if now is not None and not args.dry_run:
        raise InvalidInputError("--now: only allowed with --dry-run", field="now")
    with cli_context(args) as ctx:
        svc = ctx.services
        ex = Executor(
            sessions=svc.sessions,
            settings=svc.settings.retention,
            data_dir=svc.settings.data_dir,
            clock=svc.clock,
            after_run=AfterRetention(sessions=svc.sessions, clock=svc.clock,
                                     anchor=anchor_from_settings(svc.settings)),
        )
        result = ex.run(
            RunOptions(dry_run=args.dry_run, force=args.force, now=now, actor=ctx.actor)
        )
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        verb = "would delete" if result.dry_run else "deleted"
        print(f"retention run {result.run_id}: {result.status}")
        for name, rows in sorted(result.deleted_rows.items()):
            print(f"  {name}: {verb} {rows} row(s), {result.deleted_bytes[name]} bytes")
        for name, n in sorted(result.skipped_held.items()):
            print(f"  {name}: {n} held item(s) kept")
        if result.free_space is not None:
            space, mib = result.free_space, 1024 * 1024
            print(f"  free space: {space['free_bytes'] // mib} MiB free, threshold "
                  f"{space['below_bytes'] // mib} MiB, {space['needed_bytes']} bytes to free, "
                  f"{space['short_bytes']} bytes short")
        for note in result.notes:
            print(f"  note: {note}")
        for err in result.errors:
            print(f"  error: {err}")
    return 0 if result.status == "ok" else 1


def _report(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        svc = ctx.services
        with svc.sessions() as s:
            report = build_report(
                s,
                now=svc.clock.now(),
                settings=svc.settings.retention,
                data_dir=svc.settings.data_dir,
            )
    print(json.dumps(report, indent=2) if args.json else format_text(report))
    return 0 if report["compliant"] else 1


def _holds_list(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        svc = ctx.services
        now = svc.clock.now()
        with svc.sessions() as s:
            items = [
                hold_payload(h, now=now) for h in list_holds(s, now=now, include_inactive=args.all)
            ]
    print(json.dumps(items, indent=2))
    return 0


def _parse_ids(value: str | None) -> list[int] | None:
    if not value:
        return None
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise InvalidInputError(f"--ids: not a list of integers: {value!r}", field="ids") from None


def _holds_add(args: argparse.Namespace) -> int:
    expires = parse_instant(args.expires, "--expires")
    assert expires is not None
    fields: dict[str, Any] = {
        "item_ids": _parse_ids(args.ids),
        "camera_id": args.camera,
        "plate": args.plate,
        "start_at": parse_instant(args.start, "--start"),
        "end_at": parse_instant(args.end, "--end"),
    }
    with cli_context(args) as ctx:
        svc = ctx.services
        now = svc.clock.now()
        with transaction(svc.sessions) as s:
            hold = create_hold(
                s,
                now=now,
                actor=ctx.actor,
                case_number=args.case,
                reason=args.reason,
                data_class=args.data_class,
                expires_at=expires,
                **fields,
            )
            payload = hold_payload(hold, now=now)
    print(json.dumps(payload, indent=2))
    return 0


def _holds_release(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        svc = ctx.services
        now = svc.clock.now()
        with transaction(svc.sessions) as s:
            payload = hold_payload(
                release_hold(s, hold_id=args.hold_id, now=now, actor=ctx.actor), now=now
            )
    print(json.dumps(payload, indent=2))
    return 0
