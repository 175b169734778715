"""``rtcc`` entry point: one sub-command per module, typed errors become exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rtcc.cli import (
    audit_cmd,
    bench,
    cameras_cmd,
    check_cmd,
    demo,
    evidence_cmd,
    gunshot_cmd,
    hotlist_cmd,
    map_cmd,
    models_cmd,
    node_cmd,
    report_cmd,
    retention_cmd,
    serve,
    users_cmd,
)
from rtcc.config import Settings, load_settings
from rtcc.datadir import make_private_umask
from rtcc.errors import RtccError
from rtcc.logs import configure_logging

COMMAND_MODULES = [serve, demo, models_cmd, bench, users_cmd, audit_cmd, retention_cmd, hotlist_cmd]
COMMAND_MODULES.insert(0, check_cmd)
COMMAND_MODULES.append(cameras_cmd)
COMMAND_MODULES.append(node_cmd)
COMMAND_MODULES.append(gunshot_cmd)
COMMAND_MODULES.append(map_cmd)
COMMAND_MODULES.append(report_cmd)
COMMAND_MODULES.append(evidence_cmd)


def add_config_arg(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--config FILE`` before or after the command (the sub-command's never hides the other)."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", type=Path, default=default, help="YAML settings file")


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rtcc", description="RTCC video and LPR console")
    add_config_arg(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub, add_config_arg)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    make_private_umask()  # files and folders we (and our camera workers) create: 0600 / 0700
    configure_logging("INFO")  # once; each command's cli_context applies settings.log_level
    try:
        return int(args.func(args) or 0)
    except RtccError as exc:
        print(f"rtcc {args.command}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
