"""``rtcc bench NAME``: dispatch to the benchmark modules in ``rtcc.bench``."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

# Each name is a module rtcc.bench.<name> with register(subparsers, add_config).
BENCHES: list[str] = ["hotlist", "retention", "lpr", "cameras", "video", "ingest", "latency"]


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="benchmarks against the plain baseline")
    bsub = bench.add_subparsers(dest="bench_command", required=True, metavar="NAME")
    for name in BENCHES:
        importlib.import_module(f"rtcc.bench.{name}").register(bsub, add_config)
