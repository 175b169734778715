"""Synthetic plate reads for bus and ingest tests (every tenth read is a hotlisted plate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cameras.messages import ReadMessage
from rtcc.plates import PlateReadRecord
from rtcc.vocab import ReadStatus

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CAMERAS = ("cam-a", "cam-b")


def read(i: int, status: ReadStatus = ReadStatus.FINAL) -> ReadMessage:
    """Read ``i``; every tenth is a hotlisted plate."""
    plate = f"HOT{i:04d}" if i % 10 == 0 else f"RD{i:05d}"
    rec = PlateReadRecord(
        track_key=f"trk-{i}", status=status, plate=plate, confidence=0.95,
        char_confidences=tuple(0.95 for _ in plate), char_alternatives=(), alternatives=(),
        region=None, format_ok=True, frames=4, first_seen=T0 + timedelta(seconds=i),
        last_seen=T0 + timedelta(seconds=i + 2), box=(1, 2, 30, 12),
    )
    return ReadMessage(camera_id=CAMERAS[i % 2], record=rec, snapshot_path=None, crop_path=None)
