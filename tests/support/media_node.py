"""``python -m tests.support.media_node NATS_URL DATA_DIR``: a camera node's side of a read in
its own process: the read's photos written under the node's own data folder, the read
submitted through the outbox and forwarder, and forwarded before the process exits."""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from pathlib import Path

from rtcc.bus.connection import NatsConnection
from rtcc.bus.outbox import Outbox
from rtcc.config import BusSettings
from rtcc.runtime.forwarder import Forwarder
from tests.support.reads import read

SNAPSHOT = "media/reads/cam-b/2026-03-01/trk-1.jpg"
CROP = "media/reads/cam-b/2026-03-01/trk-1-crop.jpg"


def photo(rel: str) -> bytes:
    """The bytes the node writes at ``rel`` (a JPEG header, then something of its own)."""
    return b"\xff\xd8\xff\xe0" + rel.encode() * 50


def main() -> None:
    url, data_dir = sys.argv[1], Path(sys.argv[2])
    for rel in (SNAPSHOT, CROP):
        (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / rel).write_bytes(photo(rel))
    conn = NatsConnection.open(BusSettings(url=url))
    outbox = Outbox(data_dir / "outbox.db")
    forwarder = Forwarder(conn, outbox, node_id="n1", data_dir=data_dir).start()
    try:
        now = datetime.now(UTC)  # within the console's live window
        record = dataclasses.replace(read(1).record, first_seen=now, last_seen=now)
        msg = dataclasses.replace(read(1), record=record, snapshot_path=SNAPSHOT, crop_path=CROP)
        forwarder.submit(msg)
        assert forwarder.flush(30), "not forwarded"
    finally:
        forwarder.stop()
        outbox.close()
        conn.close()
    print("forwarded", flush=True)


if __name__ == "__main__":
    main()
