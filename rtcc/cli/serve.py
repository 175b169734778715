"""``rtcc serve``: migrate, then run the API, console and camera workers."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rtcc.config import Settings, load_settings
from rtcc.runtime.services import Services


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="run the server")
    add_config(p)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=_serve)


def run_server(
    settings: Settings,
    *,
    banner: str | None = None,
    prepare: Callable[[Services], str] | None = None,
) -> int:
    """Migrate, optionally prepare (returns extra banner text), then serve until stopped."""
    import uvicorn

    from rtcc.runtime.runtime import Runtime
    from rtcc.runtime.services import build_services
    from web.app import create_app

    services = build_services(settings)  # migrates first
    extra = prepare(services) if prepare is not None else ""
    app = create_app(services, Runtime(services))
    if banner or extra:
        print("\n".join(t for t in (banner, extra) if t), flush=True)
    uvicorn.run(
        app,
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.log_level.lower(),
        ws_ping_interval=20,
    )
    services.engine.dispose()
    return 0


def _serve(args: argparse.Namespace) -> int:
    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    settings = load_settings(args.config, overrides={"server": overrides} if overrides else None)
    url = f"http://{settings.server.host}:{settings.server.port}/"
    return run_server(settings, banner=f"RTCC console: {url}")
