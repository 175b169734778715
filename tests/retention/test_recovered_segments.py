"""A segment finalized just before a crash (announced, never indexed) is indexed by the next
retention sweep and kept by the video policy, not deleted as an orphan (issue 14)."""

from __future__ import annotations

import os
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import select

from cameras.recorder import segment_dir
from retention.executor import RunOptions
from rtcc.db import transaction
from rtcc.models import VideoSegment
from rtcc.runtime.services import Services
from tests.support import retention_data as f


def test_finalized_segment_without_a_row_is_indexed_and_kept(
    services: Services, make_executor: Any
) -> None:
    data = services.settings.data_dir
    now = services.clock.now()
    start = (now - timedelta(hours=2)).astimezone(UTC)
    with transaction(services.sessions) as s:
        f.camera(s, now, "gate-1")
        for age in range(4):  # some indexed video and reads, so nothing looks like a new DB
            f.segment(s, data, now - timedelta(minutes=age), "gate-1")
    final = segment_dir(data, "gate-1", start) / f"{start:%H%M%S_%f}Z.mp4"
    final.parent.mkdir(parents=True, exist_ok=True)
    final.write_bytes(b"m" * 4096)
    written = (start + timedelta(seconds=60)).timestamp()
    os.utime(final, (written, written))
    stray = data / "video" / "gate-1" / "notes.txt"  # not a segment: still an orphan
    stray.write_bytes(b"x")
    os.utime(stray, (written, written))

    result = make_executor(services).run(RunOptions())
    assert result.status == "ok", result.errors
    assert final.exists() and not stray.exists()
    rel = final.relative_to(data).as_posix()
    with services.sessions() as s:
        seg = s.scalars(select(VideoSegment).where(VideoSegment.path == rel)).one()
        assert seg.camera_id == "gate-1" and seg.bytes == 4096
        assert abs((seg.start_at.replace(tzinfo=UTC) - start).total_seconds()) < 1e-3
        assert seg.end_at.replace(tzinfo=UTC) == start + timedelta(seconds=60)
    assert result.deleted_rows["orphan_files"] == 1

    services.clock.advance(days=29)  # type: ignore[attr-defined]
    make_executor(services, max_delete_share=1.0).run(RunOptions())
    assert final.exists()  # kept the video policy's 30 days
    services.clock.advance(days=2)  # type: ignore[attr-defined]
    make_executor(services, max_delete_share=1.0).run(RunOptions())
    assert not final.exists()  # then deleted by policy, with its row
    with services.sessions() as s:
        assert s.scalar(select(VideoSegment.id).where(VideoSegment.path == rel)) is None
