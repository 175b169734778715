"""The real camera worker (spawned process under the real supervisor: demux, sampler, motion gate,
tracker, recorder, reconnects) on a clip the test writes, with a scripted recognizer instead of
the models: runs on any machine, with or without ``../shared``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import av
import cv2
import pytest

from cameras.messages import SegmentMessage, StatusMessage
from cameras.worker import links_of, recognizer_factory
from rtcc.config import CameraSettings
from rtcc.errors import ConfigError
from tests.support.clips import Clip, write_clip
from tests.support.scripted import Reading, ScriptedFactory, sure
from tests.support.workers import CameraRuns, final_read, state_is

# Position 2 of ABC123 is uncertain between C and G: the lattice must survive the whole way.
ABC_LATTICE = sure("AB") + ((("C", 0.7), ("G", 0.25)),) + sure("123")
SCRIPT = ScriptedFactory((Reading(1.0, 3.0, "ABC123", ABC_LATTICE), Reading(5.5, 7.5, "XYZ789")))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    """10 s at 10 fps: a plate crosses during 1.0-3.0 s and 5.5-7.5 s; the scene is still else."""
    path = tmp_path_factory.mktemp("clip") / "two-passes.mp4"
    return write_clip(path, seconds=10, passes=[(1.0, 3.0), (5.5, 7.5)])


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def _camera(url: Path | str, **extra: object) -> dict[str, object]:
    return {"id": "gate", "url": str(url), "loop": False, "realtime": False, "detect_fps": 5,
            **extra}


def test_one_read_per_pass_with_previews_media_and_recording(
    clip: Clip, runs: CameraRuns, tmp_path: Path
) -> None:
    sup, got = runs.start([_camera(clip.path, record=True, segment_seconds=2)],
                          recognizer=SCRIPT)
    done = got.wait_for(state_is("gate", "offline"), 30, "end of file")
    assert done.message == "end of file"
    got.pump(0.5)
    reads = got.reads("gate")
    finals = [r.record for r in reads if r.record.status == "final"]
    assert [f.plate for f in finals] == ["ABC123", "XYZ789"]
    assert len({f.track_key for f in finals}) == 2
    for final in finals:  # each pass: one preview first, under the final's key
        previews = [r for r in reads
                    if r.record.status == "preview" and r.record.track_key == final.track_key]
        assert len(previews) == 1 and reads.index(previews[0]) < reads.index(
            next(r for r in reads if r.record is final))
    # media time survives: the passes started 4.5 s apart in the clip; the second one comes
    # after a still spell, decoded keyframes only, so it is noticed at the next keyframe (6.0 s)
    gap = finals[1].first_seen - finals[0].first_seen
    assert timedelta(seconds=4.2) <= gap <= timedelta(seconds=5.3), gap
    first = next(r for r in reads if r.record is finals[0])
    assert first.snapshot_path and first.crop_path
    snap = cv2.imread(str(tmp_path / "data" / first.snapshot_path))
    assert snap is not None and snap.shape[:2] == (360, 640)
    # the scripted lattice reached the record through the tracker's consensus
    assert [ch for ch, _ in finals[0].char_alternatives[2]] == ["C", "G"]
    assert finals[0].char_confidences[2] == pytest.approx(0.7, abs=0.01)
    _assert_counters(done)
    segments = [m for m in got.messages if isinstance(m, SegmentMessage)]
    assert len(segments) >= 4
    recorded = sum(_seconds(tmp_path / "data" / s.path) for s in segments)
    assert 8.0 <= recorded <= 10.5, recorded
    assert sup.restarts("gate") == 0


def _assert_counters(status: StatusMessage) -> None:
    """Sampler: 10 fps in, 5 fps sampled. Motion gate: the first frame opens the gate until 1 s,
    when the first pass begins; 1 s after each pass the gate closes (about 4.2 s and 8.6 s) and
    the still scene is decoded keyframes only (one a second) until the next pass shows at a
    keyframe (6.0 s): about 74 of the 100 frames are decoded, 4 still samples skipped."""
    assert 65 <= status.decoded_frames <= 80, status
    sampled = status.analysed_frames + status.motion_skipped
    assert 35 <= sampled <= 43 and status.skipped_frames == status.decoded_frames - sampled, status
    assert 2 <= status.motion_skipped <= 6, status
    assert 30 <= status.analysed_frames <= 40 and status.overload_skipped == 0, status


def _seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


def test_missing_file_errors_then_reconnects_when_it_appears(
    clip: Clip, runs: CameraRuns, tmp_path: Path
) -> None:
    later = tmp_path / "later.mp4"
    sup, got = runs.start([_camera(later)], recognizer=SCRIPT)
    err = got.wait_for(state_is("gate", "error"), 20, "missing file error")
    assert "video file not found" in (err.message or "")
    later.write_bytes(clip.path.read_bytes())
    mark = got.mark()
    got.wait_for(final_read("gate", "XYZ789"), 30, "reads after reconnecting", since=mark)
    back = got.wait_for(state_is("gate", "offline"), 30, "end of file", since=mark)
    assert back.reconnects >= 1 and sup.restarts("gate") == 0  # the same worker retried


def test_two_runs_of_one_camera_never_reuse_a_track_key(
    clip: Clip, runs: CameraRuns, tmp_path: Path
) -> None:
    keys: list[set[str]] = []
    for _ in range(2):
        sup, got = runs.start([_camera(clip.path)], recognizer=SCRIPT)
        got.wait_for(state_is("gate", "offline"), 30, "end of file")
        got.pump(0.3)
        keys.append({r.record.track_key for r in got.reads("gate")})
        paths = {r.snapshot_path for r in got.reads("gate") if r.snapshot_path}
        runs.close()
        assert len(keys[-1]) == 2 and all((tmp_path / "data" / p).is_file() for p in paths)
    assert not keys[0] & keys[1], keys


def test_a_worker_that_cannot_build_its_recognizer_says_why(
    clip: Clip, runs: CameraRuns
) -> None:
    sup, got = runs.start([_camera(clip.path)], recognizer="tests.support.scripted:nowhere",
                          max_restarts=0, failed_retry_s=600)
    err = got.wait_for(state_is("gate", "error"), 20, "error status")
    assert "recognizer factory 'tests.support.scripted:nowhere'" in (err.message or "")
    got.wait_for(state_is("gate", "failed"), 10, "failed after the budget")


def test_recognizer_factory_resolves_dotted_paths() -> None:
    from lpr.recognizer import build_recognizer

    assert recognizer_factory("lpr.recognizer:build_recognizer") is build_recognizer
    assert recognizer_factory("lpr.recognizer.build_recognizer") is build_recognizer
    assert recognizer_factory(SCRIPT) is SCRIPT
    for bad in ("lpr.nowhere:build", "lpr.recognizer:missing", "nodots", "lpr.consensus:ALPHABET"):
        with pytest.raises(ConfigError, match="recognizer factory"):
            recognizer_factory(bad)



@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({}, [("main", "rtsp://h/main", True, True)]),
        ({"detect_url": "rtsp://h/sub"},
         [("detect", "rtsp://h/sub", True, False), ("main", "rtsp://h/main", False, True)]),
        ({"detect_url": "rtsp://h/sub", "record": False},
         [("detect", "rtsp://h/sub", True, False)]),
        # no plate recognition: nothing is decoded and the substream is the wall's alone
        ({"detect_url": "rtsp://h/sub", "lpr": False}, [("main", "rtsp://h/main", False, True)]),
        ({"lpr": False, "record": False}, [("main", "rtsp://h/main", False, False)]),
    ],
)
def test_the_connections_a_worker_holds(
    roles: dict[str, object], expected: list[tuple[str, str, bool, bool]]
) -> None:
    cam = CameraSettings.model_validate({"id": "gate", "url": "rtsp://h/main", **roles})
    links = links_of(cam)
    assert [(x.role, x.camera.url, x.decode, x.record) for x in links] == expected
    assert all(x.camera.id == "gate" for x in links)
