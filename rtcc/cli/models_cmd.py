"""``rtcc models verify`` and ``rtcc models install``: offline model bundles checked by sha256."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from lpr.bundle import install_bundle, verify_bundle
from rtcc.cli.context import cli_context
from rtcc.config import Settings
from rtcc.errors import ConfigError


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    models = sub.add_parser("models", help="check or install plate-model bundles")
    msub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    verify = msub.add_parser("verify", help="check every model file against the manifest")
    add_config(verify)
    verify.add_argument("--dir", type=Path, default=None, help="bundle (default: lpr.model_dir)")
    verify.set_defaults(func=_verify)
    install = msub.add_parser("install", help="copy a verified bundle to lpr.model_dir")
    add_config(install)
    install.add_argument("--from", dest="source", type=Path, required=True)
    install.add_argument("--to", dest="target", type=Path, default=None)
    install.set_defaults(func=_install)


def _target_dir(args: argparse.Namespace, settings: Settings, given: Path | None) -> Path:
    if given is not None:
        return given
    if settings.lpr.model_dir is not None:
        return settings.lpr.model_dir
    if args.models_command == "install":
        return settings.data_dir / "models"
    raise ConfigError("no --dir given and lpr.model_dir is not set")


def _verify(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        bundle = _target_dir(args, ctx.settings, args.dir)
    checks = verify_bundle(bundle)
    for c in checks:
        print(f"{'ok  ' if c.ok else 'FAIL'} {c.path}: {c.message}")
    bad = sum(not c.ok for c in checks)
    print(f"{bundle}: {len(checks) - bad} ok, {bad} failed")
    return 1 if bad else 0


def _install(args: argparse.Namespace) -> int:
    with cli_context(args) as ctx:
        target = _target_dir(args, ctx.settings, args.target)
    checks = install_bundle(args.source, target)
    print(f"installed {len(checks)} file(s) into {target}; all verified")
    return 0
