"""Camera nodes: placement (pure), heartbeats and leases (NATS KV)."""
