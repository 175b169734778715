"""The JetStream streams the product uses, created on first use with the configured limits."""

from __future__ import annotations

import re

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError as JsNotFoundError

from rtcc.config import BusSettings


def ingest_stream(settings: BusSettings) -> str:
    return f"{settings.subject_prefix.upper()}_INGEST"


def ingest_subject(settings: BusSettings, kind: str, camera_id: str) -> str:
    """One worker message of a camera (as sent before envelopes; still understood)."""
    return f"{settings.subject_prefix}.ingest.{kind}.{camera_id}"


def envelope_subject(settings: BusSettings, node_id: str | None) -> str:
    """An envelope of a node's worker messages (``rtcc.runtime.wire.pack``): under the same
    ``<prefix>.ingest.>`` as single messages, one subject per node."""
    token = re.sub(r"[^A-Za-z0-9_-]", "_", node_id or "") or "_"
    return f"{settings.subject_prefix}.ingest.envelope.{token}"


async def ensure_ingest_stream(js: JetStreamContext, settings: BusSettings) -> None:
    """Worker messages from every node: a work queue (gone once an ingest consumer acked),
    de-duplicated by ``Nats-Msg-Id`` within ``duplicate_window_s``."""
    name = ingest_stream(settings)
    try:
        await js.stream_info(name)
    except JsNotFoundError:
        await js.add_stream(
            StreamConfig(
                name=name,
                subjects=[f"{settings.subject_prefix}.ingest.>"],
                retention=RetentionPolicy.WORK_QUEUE,
                max_age=settings.reads_max_age_s,
                duplicate_window=settings.duplicate_window_s,
                storage=StorageType.FILE,
            )
        )
