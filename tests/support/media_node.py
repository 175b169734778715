"""``python -m tests.support.media_node NATS_URL DATA_DIR [I]``: a camera node's side of a read in
its own process: the read's photos written under the node's own data folder, the read
submitted through the outbox and forwarder, and forwarded before the process exits. ``I``
(default 1) picks the synthetic read (``tests.support.reads.read``: every tenth is hotlisted)."""

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


def photo_paths(i: int) -> tuple[str, str]:
    """Where read ``i``'s snapshot and crop are (relative to the data folder)."""
    folder = f"media/reads/{read(i).camera_id}/2026-03-01"
    return f"{folder}/trk-{i}.jpg", f"{folder}/trk-{i}-crop.jpg"


SNAPSHOT, CROP = photo_paths(1)


def photo(rel: str) -> bytes:
    """The bytes the node writes at ``rel`` (a JPEG header, then something of its own)."""
    return b"\xff\xd8\xff\xe0" + rel.encode() * 50


def main() -> None:
    url, data_dir = sys.argv[1], Path(sys.argv[2])
    index = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    snapshot, crop = photo_paths(index)
    for rel in (snapshot, crop):
        (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / rel).write_bytes(photo(rel))
    conn = NatsConnection.open(BusSettings(url=url))
    outbox = Outbox(data_dir / "outbox.db")
    forwarder = Forwarder(conn, outbox, node_id="n1", data_dir=data_dir).start()
    try:
        now = datetime.now(UTC)  # within the console's live window
        record = dataclasses.replace(read(index).record, first_seen=now, last_seen=now)
        msg = dataclasses.replace(
            read(index), record=record, snapshot_path=snapshot, crop_path=crop
        )
        forwarder.submit(msg)
        assert forwarder.flush(30), "not forwarded"
    finally:
        forwarder.stop()
        outbox.close()
        conn.close()
    print("forwarded", flush=True)


if __name__ == "__main__":
    main()
