"""Read events published together travel as one bus message and arrive one by one, in order,
with everything else; a bad element is dropped alone. The forwarder reads a stream's answers
without decoding them unless they carry an error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from nats.js.errors import APIError, NoStreamResponseError

from rtcc.bus import natsbus
from rtcc.bus.natsbus import BATCH_EVENTS, _unpack, pack
from rtcc.events import CameraStatusEvent, ReadEvent, encode
from rtcc.runtime.forwarder import _failure
from rtcc.vocab import CameraState, ReadStatus

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _read(n: int) -> ReadEvent:
    return ReadEvent(
        id=n,
        camera_id="cam-1",
        plate=f"ABC{n:04d}",
        confidence=0.9,
        status=ReadStatus.FINAL,
        region=None,
        frames=3,
        observed_at=T0,
        last_seen_at=T0,
        snapshot_url=None,
        crop_url=None,
    )


def _status(n: int) -> CameraStatusEvent:
    return CameraStatusEvent(
        camera_id=f"cam-{n}",
        name="gate",
        state=CameraState.ONLINE,
        since=T0,
        last_error=None,
        input_fps=25.0,
        analysed_fps=5.0,
        skipped_frames=0,
        motion_skipped_frames=0,
        restarts=n,
        last_frame_at=None,
        reconnects=0,
    )


def _wire(events: list[Any]) -> list[tuple[Any, bytes]]:
    return [(e.type, encode(e).encode()) for e in events]


def test_runs_of_read_events_share_a_message_and_keep_their_order() -> None:
    events = [_read(1), _read(2), _status(3), _read(4), _read(5), _read(6)]
    msgs = pack("rtcc", _wire(events))
    assert [subject for subject, _ in msgs] == [
        "rtcc.events.read",
        "rtcc.events.camera_status",
        "rtcc.events.read",
    ]
    assert [len(json.loads(data)) for subject, data in msgs if subject.endswith("read")] == [2, 3]
    back = [e for n, (_, data) in enumerate(msgs) for e in _unpack(data, n)]
    assert back == events


def test_a_batch_stays_under_its_count_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    msgs = pack("rtcc", _wire([_read(n) for n in range(BATCH_EVENTS + 1)]))
    assert [len(json.loads(data)) for _, data in msgs] == [BATCH_EVENTS, 1]
    one = len(encode(_read(1)))
    monkeypatch.setattr(natsbus, "BATCH_BYTES", one * 3 + 5)
    assert [len(json.loads(d)) for _, d in pack("rtcc", _wire([_read(n) for n in range(7)]))] == [
        3,
        3,
        1,
    ]


def test_a_bad_element_is_dropped_alone(caplog: pytest.LogCaptureFixture) -> None:
    good = encode(_read(1))
    data = f'[{good}, {{"type": "evil", "schema_version": 1}}, 7, {good}]'.encode()
    assert _unpack(data, 9) == [_read(1), _read(1)]
    assert _unpack(b"[not json", 10) == [] and _unpack(b'{"type": "evil"}', 11) == []
    assert caplog.text.count("sequence 9") == 2


def _answer(data: bytes, headers: dict[str, str] | None = None) -> Any:
    return SimpleNamespace(data=data, headers=headers)


def test_the_forwarder_reads_a_streams_answer() -> None:
    assert _failure(_answer(b'{"stream":"RTCC_INGEST","seq":12}')) is None
    assert _failure(_answer(b'{"stream":"RTCC_INGEST","seq":12,"duplicate":true}')) is None
    err = _failure(_answer(b'{"error":{"code":503,"err_code":10077,"description":"full"}}'))
    assert isinstance(err, APIError) and err.description == "full" and err.code == 503
    assert isinstance(_failure(_answer(b"", {"Status": "503"})), NoStreamResponseError)
    assert isinstance(_failure(_answer(b'{"error": nope')), APIError)
