"""Prometheus metrics of an API instance and of a camera node (prometheus-client).

Figures are read when Prometheus scrapes (a custom collector), not pushed from hot paths: camera
states and frame rates from the camera table, ingest counters from the running consumer or
ingest thread, the bus backlog from JetStream, a node's leases and outbox from the node.
Each process has its own registry: nothing global, nothing at import.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select

from rtcc.models import Camera
from rtcc.runtime.services import Services
from rtcc.vocab import CameraState

if TYPE_CHECKING:
    from rtcc.runtime.node import Node
    from rtcc.runtime.runtime import Runtime

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ApiCollector(Collector):
    def __init__(self, services: Services, runtime: Runtime | None) -> None:
        self.s, self.runtime = services, runtime

    def collect(self) -> Iterator[Any]:
        yield from _camera_metrics(self.s)
        yield from self._ingest()
        yield from _bus_metrics(self.s)
        yield from _match_metrics(self.s)

    def _ingest(self) -> Iterator[Any]:
        stored = CounterMetricFamily("rtcc_reads_ingested", "Plate reads stored", labels=["path"])
        hits = CounterMetricFamily("rtcc_hits_recorded", "New hits recorded from live reads")
        dups = CounterMetricFamily("rtcc_ingest_duplicates", "Redelivered messages skipped")
        lag = GaugeMetricFamily("rtcc_ingest_lag_seconds",
                                "Last stored read: store time minus the read's last sighting")
        consumer = self.runtime.consumer if self.runtime is not None else None
        thread = self.runtime.ingest if self.runtime is not None else None
        if consumer is not None:
            stored.add_metric(["bus"], consumer.stored)
            hits.add_metric([], consumer.hits)
            dups.add_metric([], consumer.duplicates)
            lag.add_metric([], consumer.lag_s)
        if thread is not None:
            stored.add_metric(["local"], thread.handled)
        yield from (stored, hits, dups, lag)


def _match_metrics(services: Services) -> Iterator[Any]:
    index = services.matcher.index
    odds = GaugeMetricFamily("rtcc_match_min_odds",
                             "lattice_min_odds in use (chosen for a target when calibrated)")
    odds.add_metric([], index.rules.lattice_min_odds)
    yield odds
    if index.calibration is not None:
        rate = GaugeMetricFamily("rtcc_match_false_hits_per_million",
                                 "False hits per million drawn reads at that threshold")
        rate.add_metric([], index.calibration.expected_per_million)
        yield rate


def _camera_metrics(services: Services) -> Iterator[Any]:
    state = GaugeMetricFamily("rtcc_camera_state", "1 for the camera's current state",
                              labels=["camera", "state"])
    fps = GaugeMetricFamily("rtcc_camera_fps", "Frames per second", labels=["camera", "kind"])
    enabled = GaugeMetricFamily("rtcc_cameras_enabled", "Enabled cameras")
    with services.sessions() as session:
        rows = session.execute(
            select(Camera.id, Camera.state, Camera.input_fps, Camera.analysed_fps, Camera.enabled)
        ).all()
    for cam_id, cam_state, in_fps, an_fps, _ in rows:
        for known in CameraState:
            state.add_metric([cam_id, known.value], 1.0 if cam_state == known.value else 0.0)
        fps.add_metric([cam_id, "input"], in_fps or 0.0)
        fps.add_metric([cam_id, "analysed"], an_fps or 0.0)
    enabled.add_metric([], sum(1 for r in rows if r[4]))
    yield from (state, fps, enabled)


def _bus_metrics(services: Services) -> Iterator[Any]:
    from rtcc.bus.natsbus import NatsBus

    bus = services.bus
    if not isinstance(bus, NatsBus):
        return
    events = CounterMetricFamily("rtcc_bus_events", "Events through the bus", labels=["way"])
    events.add_metric(["published"], bus.published)
    events.add_metric(["delivered"], bus.delivered)
    events.add_metric(["dropped"], bus.dropped)
    yield events
    backlog = GaugeMetricFamily(
        "rtcc_bus_backlog", "Bus messages (envelopes of worker messages) not yet ingested",
        labels=["kind"],
    )
    try:
        info = bus.conn.run(_ingest_backlog(bus), timeout=3.0)
    except Exception as exc:  # noqa: BLE001 - a scrape must answer while the hub is away
        log.debug("backlog unavailable: %r", exc)
        return
    backlog.add_metric(["pending"], info[0])
    backlog.add_metric(["unacknowledged"], info[1])
    yield backlog


async def _ingest_backlog(bus: Any) -> tuple[int, int]:
    from rtcc.bus.streams import ingest_stream
    from rtcc.runtime.ingest_consumer import DURABLE

    info = await bus.conn.jetstream().consumer_info(ingest_stream(bus.settings), DURABLE)
    return int(info.num_pending or 0), int(info.num_ack_pending or 0)


class NodeCollector(Collector):
    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[Any]:
        node = self.node
        running = GaugeMetricFamily("rtcc_node_cameras", "Cameras this node runs (leased)",
                                    labels=["node"])
        running.add_metric([node.node_id], len(node.running))
        outbox = GaugeMetricFamily("rtcc_node_outbox", "Messages waiting for the hub",
                                   labels=["node"])
        outbox.add_metric([node.node_id], len(node.forwarder.outbox))
        forwarded = CounterMetricFamily("rtcc_node_forwarded", "Messages the hub acknowledged",
                                        labels=["node"])
        forwarded.add_metric([node.node_id], node.forwarder.forwarded)
        yield from (running, outbox, forwarded)


def api_registry(services: Services, runtime: Runtime | None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ApiCollector(services, runtime))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def serve_node_metrics(port: int, node: Node) -> None:
    """``/metrics`` of a node on its own port (a daemon thread of prometheus-client)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(node))
    start_http_server(port, registry=registry)
