"""``rtcc node --config F --node-id ID``: run this host's share of the cameras (needs ``bus.url``).

The node reads camera definitions from the database, holds a lease per camera it runs, and
forwards reads, status and segments through its local outbox to the hub's ingest consumers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from rtcc.cli.context import cli_context
from rtcc.config import Settings
from rtcc.errors import ConfigError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("node", help="run a camera node (cameras placed here by leases)")
    add_config(p)
    p.add_argument("--node-id", required=True, help="one of cluster.nodes")
    p.add_argument("--metrics-port", type=int, default=None,
                   help="serve Prometheus metrics on this port (0: none)")
    p.set_defaults(func=_node)


def check_node(settings: Settings, node_id: str) -> None:
    """Bad settings or an unknown id: a clear message (exit 2) before anything is started."""
    if not settings.bus.url:
        raise ConfigError("rtcc node needs bus.url (nats://...): nodes talk to the hub over NATS",
                          field="bus.url")
    known = sorted(n.id for n in settings.cluster.nodes)
    if node_id not in known:
        raise ConfigError(
            f"--node-id {node_id!r}: not in cluster.nodes (known: {', '.join(known) or 'none'})",
            field="node_id",
        )


def _node(args: argparse.Namespace) -> int:
    from rtcc.bus.connection import NatsConnection
    from rtcc.bus.outbox import Outbox
    from rtcc.runtime.forwarder import Forwarder
    from rtcc.runtime.heap import freeze_startup_heap
    from rtcc.runtime.node import Node

    with cli_context(args) as ctx:
        settings = ctx.settings
        check_node(settings, args.node_id)
        conn = NatsConnection.open(settings.bus)  # unreachable: BusUnavailableError, exit 2
        try:
            services = ctx.open()
            outbox = Outbox(
                settings.data_dir / f"outbox-{args.node_id}.db",
                linger_s=settings.bus.outbox_linger_s,
            )
            forwarder = Forwarder(
                conn, outbox, node_id=args.node_id, data_dir=settings.data_dir
            ).start()
            node = Node(services, conn, forwarder, args.node_id).start()
            _serve_metrics(args.metrics_port, node)
            freeze_startup_heap()
            print(f"rtcc node {args.node_id}: running", flush=True)
            _wait_for_signal()
            node.stop()
            forwarder.flush(5.0)
            forwarder.stop()
            outbox.close()
        finally:
            conn.close()
    return 0


def _serve_metrics(port: int | None, node: Any) -> None:
    if not port:
        return
    from rtcc.runtime.metrics import serve_node_metrics

    serve_node_metrics(port, node)


def _wait_for_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    while not stop.wait(1.0):
        pass
