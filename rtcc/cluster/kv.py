"""Heartbeats and camera leases in two NATS KV buckets (entries expire with the bucket's TTL).

``<prefix>_nodes``: one key per node, rewritten every ``heartbeat_s``; a node whose key has
expired (``node_ttl_s``) is gone. ``<prefix>_leases``: one key per camera whose value is the
owning node; created only if absent, renewed by compare-and-swap on the last revision, and
expiring ``lease_ttl_s`` after the last renewal. A renewal that fails means the lease is lost.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from nats.js.errors import (
    APIError,
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
)
from nats.js.errors import NotFoundError as JsNotFoundError
from nats.js.kv import KeyValue

from rtcc.bus.connection import NatsConnection
from rtcc.config import ClusterSettings


@dataclass(frozen=True)
class Lease:
    camera_id: str
    node_id: str
    revision: int


class ClusterKV:
    def __init__(self, conn: NatsConnection, settings: ClusterSettings) -> None:
        self.conn = conn
        self.settings = settings
        prefix = conn.settings.subject_prefix
        self.nodes_bucket = f"{prefix}_nodes"
        self.leases_bucket = f"{prefix}_leases"
        self._nodes: KeyValue | None = None
        self._leases: KeyValue | None = None

    async def _bucket(self, name: str, ttl: float) -> KeyValue:
        js = self.conn.jetstream()
        try:
            return await js.key_value(name)
        except (BucketNotFoundError, JsNotFoundError):
            return await js.create_key_value(bucket=name, ttl=ttl, history=1)

    async def open(self) -> None:
        self._nodes = await self._bucket(self.nodes_bucket, self.settings.node_ttl_s)
        self._leases = await self._bucket(self.leases_bucket, self.settings.lease_ttl_s)

    @property
    def nodes(self) -> KeyValue:
        assert self._nodes is not None, "open() first"
        return self._nodes

    @property
    def leases(self) -> KeyValue:
        assert self._leases is not None, "open() first"
        return self._leases

    # --- heartbeats -------------------------------------------------------------------------

    async def beat(self, node_id: str, info: dict[str, Any]) -> None:
        await self.nodes.put(node_id, json.dumps(info).encode())

    async def live_nodes(self) -> dict[str, dict[str, Any]]:
        return {key: json.loads(value) for key, value in (await _entries(self.nodes)).items()}

    # --- leases -----------------------------------------------------------------------------

    async def acquire(self, camera_id: str, node_id: str) -> Lease | None:
        """The lease if nobody holds it (None when another node does)."""
        try:
            revision = await self.leases.create(camera_id, node_id.encode())
        except KeyWrongLastSequenceError:
            return None
        return Lease(camera_id, node_id, revision)

    async def renew(self, lease: Lease) -> Lease | None:
        """The renewed lease, or None when it was lost (expired, taken over)."""
        try:
            revision = await self.leases.update(
                lease.camera_id, lease.node_id.encode(), last=lease.revision
            )
        except KeyWrongLastSequenceError:
            return None
        return Lease(lease.camera_id, lease.node_id, revision)

    async def release(self, lease: Lease) -> None:
        # Already expired or taken (wrong last revision): nothing of ours to release.
        with contextlib.suppress(APIError):
            await self.leases.delete(lease.camera_id, last=lease.revision)

    async def holders(self) -> dict[str, str]:
        """camera id -> node id of every current lease."""
        return {key: value.decode() for key, value in (await _entries(self.leases)).items()}


async def _entries(kv: KeyValue) -> dict[str, bytes]:
    try:
        keys = await kv.keys()
    except NoKeysError:
        return {}
    out: dict[str, bytes] = {}
    for key in keys:
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:  # expired or deleted meanwhile
            continue
        if entry.value:
            out[key] = entry.value
    return out
