"""``GET /api/nodes``: the camera nodes, from their heartbeats in the NATS KV bucket."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from rtcc.bus.natsbus import NatsBus
from rtcc.cluster.kv import ClusterKV
from rtcc.schemas.common import ReadModel
from web.deps import ServicesDep
from web.security import require

router = APIRouter()


class NodeOut(ReadModel):
    id: str
    configured: bool  # listed in cluster.nodes
    alive: bool  # heartbeat within cluster.node_ttl_s
    host: str | None
    heartbeat_age_s: float | None
    cameras: list[str]
    cpu: float | None  # percent
    version: str | None
    outbox: int | None  # messages waiting for the hub


async def _heartbeats(kv: ClusterKV) -> dict[str, dict[str, Any]]:
    await kv.open()
    return await kv.live_nodes()


@router.get(
    "/api/nodes", dependencies=[Depends(require("cameras:manage"))], response_model=list[NodeOut]
)
def list_nodes(services: ServicesDep) -> list[NodeOut]:
    """Configured and live nodes (none without ``bus.url``: everything runs in this process)."""
    cluster = services.settings.cluster
    beats: dict[str, dict[str, Any]] = {}
    if isinstance(services.bus, NatsBus):
        kv = ClusterKV(services.bus.conn, cluster)
        beats = services.bus.conn.run(_heartbeats(kv), timeout=10.0)
    now = services.clock.now().timestamp()
    configured = {n.id: n for n in cluster.nodes}
    out = []
    for node_id in sorted(set(configured) | set(beats)):
        beat = beats.get(node_id, {})
        at = beat.get("at")
        out.append(NodeOut(
            id=node_id, configured=node_id in configured, alive=bool(beat),
            host=beat.get("host") or (configured[node_id].host if node_id in configured else None),
            heartbeat_age_s=round(max(0.0, now - float(at)), 3) if at is not None else None,
            cameras=[str(c) for c in beat.get("cameras", [])],
            cpu=beat.get("cpu"), version=beat.get("version"), outbox=beat.get("outbox"),
        ))
    return out
