"""Settings for running across hosts: the bus, nodes and placement.
"""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from rtcc.config.sections import Section


class NodeSpec(Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    capacity: float = Field(default=1.0, gt=0, le=10_000)  # share of unpinned cameras
    host: str | None = None  # informational


class ClusterSettings(Section):
    """Camera nodes (``rtcc node --node-id ID``): who may run cameras, heartbeats, leases."""

    nodes: list[NodeSpec] = Field(default_factory=list)
    node_ttl_s: float = Field(default=6.0, gt=0, le=600)  # no heartbeat this long: node gone
    lease_ttl_s: float = Field(default=9.0, gt=0, le=600)
    renew_s: float = Field(default=2.0, gt=0, le=60)  # heartbeat and lease renewal period
    cameras_refresh_s: float = Field(default=5.0, gt=0, le=600)  # camera list re-read

    @model_validator(mode="after")
    def _timings(self) -> ClusterSettings:
        if self.renew_s * 3 > self.lease_ttl_s:
            raise ValueError("lease_ttl_s must be at least three times renew_s")
        ids = [n.id for n in self.nodes]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate node id")
        return self


class BusSettings(Section):
    """The event bus: in-process by default; ``url: nats://host:4222`` spans hosts (JetStream)."""

    url: str | None = Field(default=None, pattern=r"^(nats|tls)://")
    subject_prefix: str = Field(default="rtcc", pattern=r"^[A-Za-z0-9_-]+$")
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    events_max_age_s: float = Field(default=3600.0, gt=0)  # how far back a console can resume
    reads_max_age_s: float = Field(default=7 * 86400.0, gt=0)  # unconsumed reads kept this long
    duplicate_window_s: float = Field(default=86400.0, gt=0)  # Nats-Msg-Id de-duplication
    ingest_ack_wait_s: float = Field(default=30.0, ge=1)  # unacknowledged: redelivered after
    ingest_batch: int = Field(default=200, ge=1, le=10_000)
    # A node's outbox waits this long for more reads before each disk sync (group commit): a
    # node's one relay thread then syncs once per ~10 ms of reads, not per wake-up.
    outbox_linger_s: float = Field(default=0.008, ge=0, le=0.1)
    # A read's snapshot and crop travel with it from its node up to this many bytes together
    # (base64 in the message: JetStream's default limit is 1 MiB); 0: photos stay on the node.
    media_max_bytes: int = Field(default=512 * 1024, ge=0, le=700_000)
    # The media bucket (read photos for every API instance) holds at most this much of the
    # JetStream store (0: no cap of its own); when full, new photos stay where they were stored.
    media_bucket_max_bytes: int = Field(default=0, ge=0)
