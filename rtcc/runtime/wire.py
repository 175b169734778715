"""Worker messages as bytes between hosts: one JSON object each, a stable id per read.

A read's id is stable across retries, restarts and redeliveries: a hash of its camera, track
and first sighting. Its message id adds the status (``preview`` / ``final``), so both versions of
a read travel but each exactly once (``Nats-Msg-Id`` de-duplication, then the ingest inbox).

Between a node and the hub, messages travel packed in envelopes (``pack``): one bus message
holding many, each with its own id and bytes, framed so that one bad message spoils only itself.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import orjson

from cameras.messages import ReadMessage, SegmentMessage, StatusMessage, WorkerMessage
from rtcc.errors import RtccError
from rtcc.plates import PlateReadRecord, alternatives_from_json, alternatives_to_json
from rtcc.vocab import ReadStatus

WIRE_VERSION = 1
ENVELOPE_MAGIC = b"rtcc-envelope/1\n"
KINDS = {ReadMessage: "read", StatusMessage: "status", SegmentMessage: "segment"}
_RECORD_FIELDS = tuple(f.name for f in fields(PlateReadRecord))


class WireError(RtccError):
    code = "bad_worker_message"


def read_id(camera_id: str, track_key: str, first_seen: datetime) -> str:
    key = f"{camera_id}\x1f{track_key}\x1f{first_seen.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def message_id(msg: WorkerMessage) -> str:
    """The de-duplication id of a message (reads: read id + status)."""
    if isinstance(msg, ReadMessage):
        rec = msg.record
        return f"{read_id(msg.camera_id, rec.track_key, rec.first_seen)}.{rec.status.value}"
    if isinstance(msg, SegmentMessage):
        return "seg." + hashlib.sha256(msg.path.encode()).hexdigest()[:32]
    key = f"{msg.camera_id}\x1f{msg.state}\x1f{msg.at.isoformat()}"
    return "st." + hashlib.sha256(key.encode()).hexdigest()[:32]


def kind_of(msg: WorkerMessage) -> str:
    return KINDS[type(msg)]


def encode(msg: WorkerMessage, *, media: dict[str, bytes] | None = None) -> bytes:
    """``msg`` as bytes; ``media``: a read's photo files by relative path, carried along
    (``rtcc.runtime.media_relay``)."""
    body: dict[str, Any]
    if isinstance(msg, ReadMessage):
        record = {name: getattr(msg.record, name) for name in _RECORD_FIELDS}  # no deep copy
        record["char_alternatives"] = alternatives_to_json(msg.record.char_alternatives)
        body = {"camera_id": msg.camera_id, "snapshot_path": msg.snapshot_path,
                "crop_path": msg.crop_path, "record": record}
    else:
        body = asdict(msg)
    wrapped = {"v": WIRE_VERSION, "kind": kind_of(msg), "body": body}
    if media:
        wrapped["media"] = {rel: base64.b64encode(data).decode() for rel, data in media.items()}
    return orjson.dumps(wrapped)  # datetimes as ISO 8601, like ``datetime.isoformat``


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _record(data: dict[str, Any]) -> PlateReadRecord:
    return PlateReadRecord(
        track_key=str(data["track_key"]), status=ReadStatus(data["status"]),
        plate=str(data["plate"]), confidence=float(data["confidence"]),
        char_confidences=tuple(map(float, data["char_confidences"])),
        char_alternatives=alternatives_from_json(data["char_alternatives"]),
        alternatives=tuple(map(str, data["alternatives"])), region=data["region"],
        format_ok=bool(data["format_ok"]), frames=int(data["frames"]),
        first_seen=_time(data["first_seen"]), last_seen=_time(data["last_seen"]),
        box=(int(data["box"][0]), int(data["box"][1]), int(data["box"][2]), int(data["box"][3])),
        raw_text=data.get("raw_text"),
    )


def decode(data: bytes) -> WorkerMessage:
    """The message in ``data``; raises :class:`WireError` for anything else."""
    return unpack(data)[0]


def unpack(data: bytes) -> tuple[WorkerMessage, dict[str, bytes]]:
    """The message in ``data`` and the photo files it carries; raises :class:`WireError`."""
    try:
        wrapped = orjson.loads(data)
        media = {
            str(rel): base64.b64decode(text, validate=True)
            for rel, text in (wrapped.get("media") or {}).items()
        }
        message = _message(wrapped)
        _own_files(message, media)
        return message, media
    except WireError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise WireError(f"bad worker message: {type(exc).__name__}: {exc}") from None


def _own_files(msg: WorkerMessage, media: dict[str, bytes]) -> None:
    """A message may name and carry only files of its own camera: a read's photos under
    ``media/reads/<camera>/``, a segment under ``video/<camera>/`` (a node, compromised or
    misconfigured, must not plant files in another camera's folders nor point a read at them)."""
    if isinstance(msg, ReadMessage):
        if msg.snapshot_path is None and msg.crop_path is None and not media:
            return  # names no file, carries none
        own = {p for p in (msg.snapshot_path, msg.crop_path) if p is not None}
        folder: tuple[str, ...] = ("media", "reads", msg.camera_id)
        if stray := set(media) - own:
            raise WireError(f"photos that are not the read's own: {sorted(stray)[:3]}")
    elif isinstance(msg, SegmentMessage):
        own, folder = {msg.path}, ("video", msg.camera_id)
    else:
        return
    for rel in own:
        parts = PurePosixPath(rel).parts
        if parts[: len(folder)] != folder or ".." in parts or len(parts) <= len(folder):
            raise WireError(f"{rel!r} is not in camera {msg.camera_id}'s folder")


def _message(wrapped: dict[str, Any]) -> WorkerMessage:
    if wrapped.get("v") != WIRE_VERSION:
        raise WireError(f"wire version {wrapped.get('v')!r} not understood")
    body, kind = wrapped["body"], wrapped["kind"]
    if kind == "read":
        return ReadMessage(camera_id=str(body["camera_id"]), record=_record(body["record"]),
                           snapshot_path=body["snapshot_path"], crop_path=body["crop_path"])
    if kind == "status":
        return StatusMessage(**{**body, "at": _time(body["at"]),
                                "last_frame_at": body["last_frame_at"] and _time(
                                    body["last_frame_at"])})
    if kind == "segment":
        return SegmentMessage(**{**body, "start_at": _time(body["start_at"]),
                                 "end_at": _time(body["end_at"])})
    raise WireError(f"unknown worker message kind {kind!r}")


def envelope_id(message_ids: list[str]) -> str:
    """The de-duplication id of an envelope: the same messages, the same id."""
    return "env." + hashlib.sha256("\n".join(message_ids).encode()).hexdigest()[:32]


def frame_size(message_id: str, payload: bytes) -> int:
    """The bytes one message adds to an envelope (``pack``)."""
    return len(message_id.encode()) + len(str(len(payload))) + 2 + len(payload)


def pack(items: list[tuple[str, bytes]]) -> bytes:
    """``(message id, encoded message)`` pairs as one envelope: after ``ENVELOPE_MAGIC``, per
    message a line ``<id> <length>`` then its bytes (``sum(frame_size) + len(ENVELOPE_MAGIC)``)."""
    parts = [ENVELOPE_MAGIC]
    for mid, payload in items:
        if not mid or any(c in mid for c in " \n"):
            raise WireError(f"message id {mid!r} cannot be framed")
        parts += (f"{mid} {len(payload)}\n".encode(), payload)
    return b"".join(parts)


def unpack_envelope(data: bytes) -> list[tuple[str, bytes]]:
    """The ``(message id, encoded message)`` pairs of an envelope, each left to decode on its
    own; raises :class:`WireError` when the framing itself is broken."""
    if not data.startswith(ENVELOPE_MAGIC):
        raise WireError("not an envelope")
    items = []
    at, end = len(ENVELOPE_MAGIC), len(data)
    while at < end:
        eol = data.find(b"\n", at, at + 200)
        try:
            mid, size = data[at : max(eol, at)].decode().split(" ")
            length = int(size)
        except ValueError:
            raise WireError(f"envelope framing broken at byte {at}") from None
        at = eol + 1
        if not mid or length < 0 or at + length > end:
            raise WireError(f"envelope framing broken at byte {at}")
        items.append((mid, data[at : at + length]))
        at += length
    return items
