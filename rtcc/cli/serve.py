"""``rtcc serve``: migrate, then run the API, console and camera workers."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rtcc.audit import SYSTEM
from rtcc.auth.bootstrap import bootstrap_admin
from rtcc.cli.checks import require_runnable
from rtcc.cli.context import CliContext, cli_actor, cli_context
from rtcc.config_audit import record_start
from rtcc.db import transaction
from rtcc.errors import ConfigError
from rtcc.evidence.service import recover_interrupted
from rtcc.runtime.services import Services


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the server")
    add_config(p)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument(
        "--role", choices=("all", "api"), default="all",
        help="all: API, websocket, ingest and this host's cameras (default); api: no cameras"
        " (they run on camera nodes, `rtcc node`)",
    )
    p.set_defaults(func=_serve)


def first_start(services: Services) -> None:
    """Audit the effective settings (hash and changes since the last start); create the first
    admin from ``auth.bootstrap_admin`` when there is no account yet; undo evidence exports a
    previous run left half-built."""
    with transaction(services.sessions) as session:
        record_start(session, settings=services.settings, now=services.clock.now(),
                     actor=cli_actor())
        bootstrap_admin(session, auth=services.settings.auth, now=services.clock.now())
    recover_interrupted(services.sessions, settings=services.settings, clock=services.clock,
                        actor=SYSTEM)


def run_server(
    ctx: CliContext,
    *,
    banner: str | None = None,
    prepare: Callable[[Services], str] | None = None,
    role: str = "all",
) -> int:
    """Check, migrate, optionally prepare (returns extra banner text), then serve until stopped."""
    import uvicorn

    from rtcc.bus import make_bus
    from rtcc.runtime.runtime import Runtime
    from web.app import create_app

    settings = ctx.settings
    require_runnable(settings, "settings")  # what a worker would fail on: one message, exit 2
    if role == "all" and settings.cluster.nodes:
        raise ConfigError("cluster.nodes is set: cameras run on the nodes (`rtcc node`); serve"
                          " the API with --role api", field="role")
    bus = make_bus(settings)  # bus.url set and unreachable: BusUnavailableError, exit 2
    services = ctx.open(bus=bus)  # migrates first
    first_start(services)
    extra = prepare(services) if prepare is not None else ""
    app = create_app(services, Runtime(services, cameras=role == "all", freeze_heap=True))
    if banner or extra:
        print("\n".join(t for t in (banner, extra) if t), flush=True)
    uvicorn.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.log_level.lower(),
        ws_ping_interval=20,
    )
    ctx.close()
    close = getattr(bus, "close", None)
    if close is not None:
        close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    with cli_context(args, overrides={"server": overrides} if overrides else None) as ctx:
        server = ctx.settings.server
        return run_server(
            ctx, banner=f"RTCC console: http://{server.host}:{server.port}/", role=args.role
        )
