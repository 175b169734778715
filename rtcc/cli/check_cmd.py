"""``rtcc check-config FILE``: validate a settings file and what it points to; exit 2 naming
each bad field, warnings on stderr for settings that are unsafe in production."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from rtcc.cli.checks import require_runnable, warnings
from rtcc.config import load_settings


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    check = sub.add_parser("check-config", help="validate a settings file")
    check.add_argument("file", type=Path)
    add_config(check)
    check.set_defaults(func=_check_config)


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.file)
    require_runnable(settings, str(args.file))
    for finding in warnings(settings):
        print(f"{args.file}: warning: {finding}", file=sys.stderr)
    print(
        f"{args.file}: ok ({len(settings.cameras)} camera(s), {len(settings.hotlists)} hotlist(s),"
        f" database {settings.database_url.split('://')[0]})"
    )
    return 0
