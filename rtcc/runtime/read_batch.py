"""Many bus reads in one transaction, in a handful of round trips (the ingest consumer's batch).

Per batch, whatever its size: one insert-or-ignore of the message ids (returning the new ones:
a redelivered or concurrently stored id is skipped, never an error), one look at which of the
batch's cameras are mobile, and one insert-or-ignore of the reads that start a new track,
returning their ids. Matching stays per read, in memory; the batch's hits are recorded
together (``sightings.record_new``: one look for hits to fold into, one insert of the new
ones), from the rows as inserted (no ORM reload). On PostgreSQL each insert is one statement
whose rows travel as one JSON parameter (``json_populate_recordset``): one round trip and one
prepared text whatever the batch size (a multi-row ``VALUES`` statement costs more to build
and parse than the rows cost to store; one execution per row, pipelined, costs a message and
a result each).

The rest goes through ``store_read_and_hits``, the single-host path, one read at a time, in
batch order: reads of a track already stored (a final after its preview; a preview after its
final is dropped) and reads of mobile cameras (their position is looked up per read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from cameras.messages import ReadMessage
from hotlist import sightings
from hotlist.matcher import Match
from rtcc.db import insert_ignore
from rtcc.events import Event, ReadEvent
from rtcc.models import Camera, IngestedMessage, PlateRead
from rtcc.runtime.ingest import (
    fold_rules,
    outcome_event,
    read_row,
    stale_preview,
    store_read_and_hits,
)
from rtcc.runtime.services import Services

Key = tuple[str, str]  # (camera id, track key): one plate_read row


@dataclass
class BatchResult:
    fresh: list[ReadMessage] = field(default_factory=list)  # first copies of new message ids
    events: list[Event] = field(default_factory=list)  # to publish once committed
    bulk: int = 0  # of ``fresh``, stored by the batch insert


def store_batch(
    session: Session,
    services: Services,
    reads: list[tuple[str, ReadMessage]],
    *,
    now: datetime,
    matched: dict[int, list[Match]] | None = None,
) -> BatchResult:
    """Store ``(message id, read)`` pairs, each message id once (flushed, not committed).
    ``matched``: the reads' matches when already known (by ``id`` of the message)."""
    out = BatchResult(fresh=claim(session, reads, now=now))
    if not out.fresh:
        return out
    cams = {m.camera_id for m in out.fresh}
    mobile = set(session.scalars(select(Camera.id).where(Camera.id.in_(cams), Camera.mobile)))
    new: dict[Key, tuple[int, ReadMessage]] = {}
    slow: list[tuple[int, ReadMessage]] = []
    for i, msg in enumerate(out.fresh):
        key = (msg.camera_id, msg.record.track_key)
        if key in new or msg.camera_id in mobile:
            slow.append((i, msg))  # a track's later versions follow it, in order
        else:
            new[key] = (i, msg)
    rows = [read_row(new[key][1], now=now) for key in sorted(new)]  # one lock order for all
    ids = insert_ignore(session, PlateRead.__table__, rows, ("id", "camera_id", "track_key"))
    stored = {(cam, track): rid for rid, cam, track in ids}
    hit_reads: list[tuple[PlateRead, Match]] = []
    for row in rows:
        key = (row["camera_id"], row["track_key"])
        i, msg = new[key]
        if key not in stored:  # the track was stored before: update it the usual way
            slow.append((i, msg))
            continue
        out.bulk += 1
        read = _stored_read(stored[key], row)
        out.events.append(ReadEvent(**ReadEvent.fields_of(read)))
        found = matched.get(id(msg)) if matched is not None else None
        if found is None:
            found = services.matcher.match_read(msg.record, now=now)
        for match in found:
            hit_reads.append((read, match))
    if hit_reads:
        got = sightings.record_new(session, items=hit_reads, now=now, rules=fold_rules(services))
        out.events.extend(
            outcome_event(session, read, match, outcome)
            for (read, match), outcome in zip(hit_reads, got, strict=True)
        )
    for _, msg in sorted(slow, key=lambda item: item[0]):
        if not stale_preview(session, msg):
            out.events.extend(store_read_and_hits(session, services, msg, now=now))
    return out


def claim(
    session: Session, reads: list[tuple[str, ReadMessage]], *, now: datetime
) -> list[ReadMessage]:
    """Record the message ids not stored before (by anyone); their reads, first copy each.
    Inserted in sorted order, so two consumers claiming overlapping ids wait, never deadlock."""
    ids = sorted({mid for mid, _ in reads})
    rows = [{"message_id": m, "at": now} for m in ids]
    got = {r[0] for r in insert_ignore(session, IngestedMessage.__table__, rows, ("message_id",))}
    fresh = []
    for mid, msg in reads:
        if mid in got:
            got.discard(mid)
            fresh.append(msg)
    return fresh


def _stored_read(read_id: int, row: dict[str, Any]) -> PlateRead:
    """A read just inserted from ``row``, as its events and hits see it, without building an
    ORM object for it (that costs five times what the event does)."""
    return cast(PlateRead, SimpleNamespace(id=read_id, **row))
