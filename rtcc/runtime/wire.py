"""Worker messages as bytes between hosts: one JSON object each, a stable id per read.

A read's id is stable across retries, restarts and redeliveries: a hash of its camera, track
and first sighting. Its message id adds the status (``preview`` / ``final``), so both versions of
a read travel but each exactly once (``Nats-Msg-Id`` de-duplication, then the ingest inbox).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from cameras.messages import ReadMessage, SegmentMessage, StatusMessage, WorkerMessage
from rtcc.errors import RtccError
from rtcc.plates import PlateReadRecord, alternatives_from_json, alternatives_to_json
from rtcc.vocab import ReadStatus

WIRE_VERSION = 1
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


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


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
    return json.dumps(wrapped, default=_json_default, separators=(",", ":")).encode()


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _record(data: dict[str, Any]) -> PlateReadRecord:
    return PlateReadRecord(
        track_key=str(data["track_key"]), status=ReadStatus(data["status"]),
        plate=str(data["plate"]), confidence=float(data["confidence"]),
        char_confidences=tuple(float(c) for c in data["char_confidences"]),
        char_alternatives=alternatives_from_json(data["char_alternatives"]),
        alternatives=tuple(str(a) for a in data["alternatives"]), region=data["region"],
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
        wrapped = json.loads(data)
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
