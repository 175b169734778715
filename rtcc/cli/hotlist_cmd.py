"""``rtcc hotlist import FILE --list NAME --format csv|delimited|ncic [--replace] [--skip-bad]``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hotlist.importer import NcicLayout, read_file
from rtcc.cli.context import CliContext, cli_context
from rtcc.errors import InvalidInputError
from rtcc.events import EventBus
from rtcc.vocab import HotlistFormat, values

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("hotlist", help="manage hotlists")
    hsub = p.add_subparsers(dest="hotlist_command", required=True, metavar="ACTION")
    imp = hsub.add_parser("import", help="import a hotlist file (rejected whole if a line is bad)")
    add_config(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--list", dest="name", required=True, help="hotlist name (created if new)")
    imp.add_argument("--format", choices=values(HotlistFormat), default=HotlistFormat.CSV.value)
    imp.add_argument("--replace", action="store_true", help="swap the whole list atomically")
    imp.add_argument("--skip-bad", action="store_true", help="import without the bad lines")
    imp.add_argument("--ncic-layout", type=Path, help="JSON file of NCIC column ranges")
    imp.add_argument("--kind", default=None, help="kind of a new list (e.g. stolen_vehicle)")
    imp.add_argument("--priority", type=int, default=None, help="priority of a new list (0-100)")
    imp.add_argument("--no-progress", action="store_true")
    imp.set_defaults(func=_import)


class ProgressBar:
    """A one-line text bar on stderr (only on a terminal unless forced)."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label, self.enabled, self._last = label, enabled, -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        pct = int(done * 100 / total)
        if pct == self._last:
            return
        self._last = pct
        bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
        sys.stderr.write(f"\r{self.label} [{bar}] {pct:3d}% {done:,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _layout(path: Path | None) -> NcicLayout | None:
    if path is None:
        return None
    try:
        return NcicLayout.from_mapping(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"{path}: bad NCIC layout: {exc}") from None


def _import(args: argparse.Namespace) -> int:
    from rtcc.runtime.hotlists import import_hotlist

    t0 = time.perf_counter()
    imported = read_file(
        args.file, format=args.format, skip_bad=args.skip_bad, layout=_layout(args.ncic_layout)
    )
    for bad in imported.skipped:
        print(f"{args.file}: line {bad.line}: skipped: {bad.reason}", file=sys.stderr)
    fields = {k: v for k, v in (("kind", args.kind), ("priority", args.priority)) if v is not None}
    bar = ProgressBar(
        f"importing {args.name}", enabled=sys.stderr.isatty() and not args.no_progress
    )
    with cli_context(args) as ctx, announcing_bus(ctx) as bus:
        result = import_hotlist(
            ctx.open(bus=bus),
            name=args.name,
            imported=imported,
            replace=args.replace,
            actor=ctx.actor,
            list_fields=fields,
            progress=bar,
            rebuild=False,
        )
    took = time.perf_counter() - t0
    print(
        f"{args.name}: {result.added:,} added, {result.updated:,} updated, {result.removed:,}"
        f" removed, {len(result.skipped):,} skipped, {result.historical_hits:,} historical"
        f" hit(s) in {took:.1f} s"
    )
    return 0


@contextmanager
def announcing_bus(ctx: CliContext) -> Iterator[EventBus | None]:
    """With ``bus.url``: a NATS bus so that running servers hear of the import at once (flushed
    and closed at the end). Unreachable: the import goes on; servers notice within their
    periodic look at the lists."""
    if not ctx.settings.bus.url:
        yield None
        return
    from rtcc.bus import make_bus
    from rtcc.bus.connection import BusUnavailableError
    from rtcc.bus.natsbus import NatsBus

    try:
        bus = make_bus(ctx.settings)
    except BusUnavailableError as exc:
        log.warning("bus unreachable (%s); servers see the import at their next look",
                    exc.message)
        yield None
        return
    try:
        yield bus
    finally:
        if isinstance(bus, NatsBus):
            try:
                bus.flush()
            except Exception:  # noqa: BLE001 - the periodic look still finds the change
                log.warning("could not flush the hotlist change announcement", exc_info=True)
            bus.close()
