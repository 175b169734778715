"""``rtcc audit``: verify the hash chain (against signed checkpoints), make a checkpoint, export
the trail, print the public key.

``verify`` exits 1 naming what it found: the first broken row, rows deleted from the newest end,
rows rewritten with a recomputed chain, a missing or forged checkpoint. With ``--trail`` it
needs no database, only the exported trail, the checkpoints and the public key.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from rtcc.audit import check_chain, iter_rows
from rtcc.audit_anchor import anchor_from_settings, parse_public_key, public_text
from rtcc.audit_verify import Verification, export_line, read_trail, verify_trail
from rtcc.cli.context import CliContext, cli_context
from rtcc.db import transaction
from rtcc.errors import ConfigError


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("audit", help="audit trail tools")
    asub = cmd.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = asub.add_parser("verify", help="check the audit trail's hash chain")
    verify.add_argument("--checkpoints", type=Path, metavar="DIR",
                        help="also check the trail against the signed checkpoints in DIR")
    verify.add_argument("--trail", type=Path, metavar="FILE",
                        help="an exported trail (JSONL) instead of the database")
    verify.add_argument("--public-key", metavar="KEY",
                        help="ed25519:… text or a file (default: the configured signing key's)")
    add_config(verify)
    verify.set_defaults(func=_verify)
    checkpoint = asub.add_parser("checkpoint", help="sign the chain head now")
    add_config(checkpoint)
    checkpoint.set_defaults(func=_checkpoint)
    export = asub.add_parser("export", help="write the trail as JSONL (for an offline verify)")
    export.add_argument("--output", type=Path, metavar="FILE", help="default: stdout")
    add_config(export)
    export.set_defaults(func=_export)
    pub = asub.add_parser("public-key", help="print the checkpoint signing key's public half")
    add_config(pub)
    pub.set_defaults(func=_public_key)


def _verify(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        if args.checkpoints is None:
            if args.trail is not None:
                raise ConfigError("--trail needs --checkpoints DIR")
            return _verify_chain(ctx)
        if args.public_key:
            key = parse_public_key(args.public_key)
        elif ctx.settings.audit_signing_key.exists():
            key = anchor_from_settings(ctx.settings).public_key
        else:
            raise ConfigError("--public-key KEY needed: no signing key at "
                              f"{ctx.settings.audit_signing_key}")
        if args.trail is not None:
            result = verify_trail(read_trail(args.trail), directory=args.checkpoints,
                                  public_key=key)
        else:
            with ctx.sessions() as session:
                result = verify_trail(iter_rows(session), directory=args.checkpoints,
                                      public_key=key)
    return _print_verification(result)


def _verify_chain(ctx: CliContext) -> int:
    with ctx.sessions() as session:
        report = check_chain(session)
    if report.problem is not None:
        p = report.problem
        print(f"audit chain BROKEN at row {p.row_id} ({p.kind}): {p.message}", file=sys.stderr)
        print(f"{report.rows} row(s) before it verified", file=sys.stderr)
        return 1
    print(f"audit chain intact: {report.rows} row(s), last row {report.last_id}, "
          f"head {report.last_hash[:16]}")
    return 0


def _print_verification(result: Verification) -> int:
    if not result.ok:
        print(f"audit trail FAILED verification: {len(result.findings)} finding(s)",
              file=sys.stderr)
        for finding in result.findings:
            print(f"  {finding.kind}: {finding.message}", file=sys.stderr)
        return 1
    print(f"audit trail verified: {result.rows} row(s), last row {result.last_id}, "
          f"head {result.last_hash[:16]}, {result.checkpoints} checkpoint(s) match")
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        anchor = anchor_from_settings(ctx.settings)
        with transaction(ctx.sessions) as session:
            cp = anchor.checkpoint(session, now=ctx.clock.now(), reason="manual", actor=ctx.actor)
    assert cp is not None  # only scheduled checkpoints are skipped
    print(f"checkpoint {cp.seq}: row {cp.row_id} head {cp.row_hash[:16]} "
          f"-> {anchor.directory}")
    return 0


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8") as fh:
        yield fh


def _export(args: argparse.Namespace) -> int:
    count = 0
    with cli_context(args) as ctx, ctx.sessions() as session, _output(args.output) as out:
        for row in iter_rows(session):
            out.write(export_line(row) + "\n")
            count += 1
    print(f"{count} audit row(s) exported", file=sys.stderr)
    return 0


def _public_key(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        print(public_text(anchor_from_settings(ctx.settings).public_key))
    return 0
