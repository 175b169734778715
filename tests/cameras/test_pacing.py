"""Pacing: real camera workers under a detector host that cannot keep up degrade evenly with a
bounded lag and say so; only what is analysed is decoded (real H.264 with B-frames, real models
when ``../shared`` has them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import av
import pytest

from cameras.detector_host import DetectorHost
from cameras.messages import StatusMessage
from cameras.pacing import STALE_S, DecodeMode, Pacer
from rtcc.config import LprSettings
from tests.support.clips import Clip, reencode, write_clip
from tests.support.rtsp import RtspServer
from tests.support.scripted import Reading, ScriptedFactory
from tests.support.workers import MODEL_LOAD_S, CameraRuns, Collector, final_read, state_is

PASSES = [(1.0, 4.0), (9.0, 12.0)]
SCRIPT = ScriptedFactory((Reading(1.0, 4.0, "ABC123"), Reading(9.0, 12.0, "XYZ789")))


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[CameraRuns]:
    with CameraRuns(tmp_path / "data") as started:
        yield started


def _decoded(path: Path, pacer: Pacer, *, still: bool) -> list[float]:
    """Media times of the frames decoded from ``path`` with ``pacer`` choosing what to skip."""
    times = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for n, packet in enumerate(container.demux(stream)):
            if packet.size:  # the last, empty packet flushes the decoder
                pacer.arrived(packet, stream, float(n), still)
            times += [float(f.time) for f in packet.decode()]
            pacer.done(float(n))
    return times


def test_still_scenes_decode_keyframes_only_unless_the_stream_reorders(tmp_path: Path) -> None:
    plain = write_clip(tmp_path / "p.mp4", seconds=5, passes=[])
    moving = _decoded(plain.path, Pacer(5, 10, live=False), still=False)
    assert len(moving) == 50  # 5 of 10 fps analysed: every frame is decoded
    still = _decoded(plain.path, Pacer(5, 10, live=False), still=True)
    # until two keyframes showed the GOP (1 s), everything; then one frame a second
    assert still == [0.0, *[i / 10 for i in range(1, 11)], 2.0, 3.0, 4.0]
    every = _decoded(plain.path, Pacer(5, 10, live=False, keyframes_when_still=False), still=True)
    assert len(every) == 50  # motion.keyframes_when_still off: still scenes are decoded whole
    behind = Pacer(5, 10, live=False)
    behind.behind(1.5, 0.0)  # decoding is 1.5 s behind: skip to the next keyframe
    assert _decoded(plain.path, behind, still=False)[-3:] == [2.0, 3.0, 4.0]
    bframes = write_clip(tmp_path / "b.mp4", seconds=5, passes=[], bframes=2)
    pacer = Pacer(5, 10, live=False)
    assert len(_decoded(bframes.path, pacer, still=True)) == 50  # B-frames: never keyframes only
    assert pacer.decoding is DecodeMode.ALL
    low = Pacer(1, 10, live=False)  # a detect interval of 10 source frames: no B-frames decoded
    assert 25 <= len(_decoded(bframes.path, low, still=False)) < 45
    assert low.decoding is DecodeMode.NONREF


def test_without_dropping_every_sampled_frame_is_analysed_however_late() -> None:
    """``lpr.drop_stale_frames: false`` (the naive baseline): nothing is stale, and a camera far
    behind does not skip to keyframes."""
    naive = Pacer(5, 10, live=False, drop_stale=False)
    assert not naive.stale(naive.behind(30.0, 0.0))
    assert naive.mode(still=False) is DecodeMode.ALL
    dropping = Pacer(5, 10, live=False)
    assert dropping.stale(dropping.behind(30.0, 0.0))


def test_live_lag_is_measured_from_the_live_edge(tmp_path: Path) -> None:
    """Delays: wall time since connecting less the frame's media time; times: monotonic."""
    pacer = Pacer(5, 10, live=True)
    assert pacer.behind(0.8, 0.0) == 0.0  # connecting took 0.8 s: that is the baseline
    assert pacer.behind(0.85, 0.1) == pytest.approx(0.05, abs=1e-3)
    assert pacer.behind(1.6, 1.0) == pytest.approx(0.8, abs=2e-3)  # read from a backlog
    assert pacer.stale(pacer.behind(1.6, 1.0)) and not pacer.stale(STALE_S)
    pacer.done(1.0)
    clip = write_clip(tmp_path / "c.mp4", seconds=1, passes=[])
    with av.open(str(clip.path)) as container:
        stream = container.streams.video[0]
        packet = next(container.demux(stream))
        pacer.arrived(packet, stream, 1.5, still=False)  # waited 0.5 s for it: the live edge
    assert pacer.behind(2.1, 1.5) == 0.0
    assert pacer.behind(2.0, 1.6) == 0.0  # a quicker frame lowers the baseline at once
    # ... and the baseline creeps up slowly: over 100 s, clock drift is not lag
    assert pacer.behind(2.2, 101.6) == pytest.approx(0.1, abs=1e-3)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return write_clip(tmp_path_factory.mktemp("clip") / "long.mp4", seconds=16, passes=PASSES)


def test_an_overloaded_host_slows_every_camera_evenly_and_lag_stays_bounded(
    long_clip: Clip, runs: CameraRuns
) -> None:
    """Four cameras want 5 fps each with the gate open all the time (20 fps); the host serves
    10 fps. Every camera gets about a quarter, none falls behind, each says so."""
    host = DetectorHost(LprSettings(), recognizer=replace(SCRIPT, delay_s=0.1))
    host.start()
    try:
        cams = [f"c{i}" for i in range(4)]
        sup, got = runs.start(
            [
                {
                    "id": c,
                    "url": str(long_clip.path),
                    "loop": False,
                    "realtime": True,
                    "detect_fps": 5,
                    "motion": {"enabled": False},
                }
                for c in cams
            ],
            recognizer=host.client(),
        )
        ends = {c: got.wait_for(state_is(c, "offline"), 60, f"end of file on {c}") for c in cams}
        got.pump(0.5)
    finally:
        host.stop()
    analysed = [ends[c].analysed_frames for c in cams]
    assert min(analysed) >= 0.75 * max(analysed), analysed  # fair: no camera starves
    assert 50 <= sum(analysed) <= 170, analysed  # 16 s at 10 fps of service, less start-up
    for c in cams:
        assert ends[c].max_lag_s <= 2.0, ends[c]  # without dropping: 8 s behind at the end
        assert ends[c].overload_skipped >= 20, ends[c]
        degraded = [m for m in got.messages if state_is(c, "degraded")(m)]
        figures = [re.search(r"analysing (\d+\.\d) of 5 fps", m.message or "") for m in degraded]
        shown = [float(f.group(1)) for f in figures if f]
        assert shown and all(0.5 <= x <= 4.0 for x in shown), [m.message for m in degraded]
        plates = {r.record.plate for r in got.reads(c) if r.record.status == "final"}
        assert plates == {"ABC123", "XYZ789"}, (c, plates)  # fewer frames, every pass read


def _ended(got: Collector, cam: str) -> StatusMessage:
    status: StatusMessage = got.wait_for(state_is(cam, "offline"), 60, f"end of file on {cam}")
    return status


def test_a_low_detect_rate_decodes_no_b_frames_and_still_reads_every_pass(
    tmp_path: Path, runs: CameraRuns
) -> None:
    clip = write_clip(tmp_path / "b.mp4", seconds=16, passes=PASSES, bframes=2)
    sup, got = runs.start(
        [{"id": "low", "url": str(clip.path), "loop": False, "realtime": False, "detect_fps": 1}],
        recognizer=SCRIPT,
    )
    end = _ended(got, "low")
    got.pump(0.5)
    assert end.decoded_frames < 0.8 * 160, end  # a full decode is all 160 frames
    plates = [r.record.plate for r in got.reads("low") if r.record.status == "final"]
    assert plates == ["ABC123", "XYZ789"]


@pytest.mark.slow
def test_the_real_models_read_the_plate_decoding_fewer_frames(
    tmp_path: Path, runs: CameraRuns, model_dir: Path
) -> None:
    from tests.support.paths import shared_path

    video = tmp_path / "lp-10fps-bframes.mp4"
    frames = reencode(
        shared_path("data/video/theAIGuysCode/license_plate.mp4"), video, fps=10, bframes=2
    )
    sup, got = runs.start(
        [{"id": "real", "url": str(video), "loop": False, "realtime": False, "detect_fps": 1}],
        lpr={"model_dir": str(model_dir)},
    )
    got.wait_for(final_read("real", "LS15EBC"), MODEL_LOAD_S + 60, "LS15EBC at 1 fps")
    end = _ended(got, "real")
    assert end.decoded_frames < 0.85 * frames, (end.decoded_frames, frames)


def test_a_live_camera_behind_its_recognizer_drops_to_the_live_edge(
    runs: CameraRuns, rtsp_server: RtspServer
) -> None:
    """A real RTSP stream (15 fps) and a recognizer that takes 0.6 s a frame for a camera that
    wants 5 fps: frames would pile up in the socket; the worker analyses the newest instead."""
    slow = ScriptedFactory((), fps=15, delay_s=0.6)
    sup, got = runs.start(
        [
            {
                "id": "live",
                "url": rtsp_server.url(),
                "lpr": True,
                "detect_fps": 5,
                "motion": {"enabled": False},
            }
        ],
        recognizer=slow,
    )
    first = got.wait_for(state_is("live", "online", "degraded"), 30, "the stream playing")
    got.wait_for(
        lambda m: (
            state_is("live", "online", "degraded")(m) and (m.at - first.at).total_seconds() >= 12
        ),
        40,
        "12 s of the stream",
    )
    last = [m for m in got.messages if state_is("live", "online", "degraded")(m)][-1]
    assert last.max_lag_s <= 2.0, last  # the estimate of how far behind the live edge
    assert last.overload_skipped >= 20 and 12 <= last.analysed_frames <= 30, last
    assert last.state == "degraded" and re.search(
        r"analysing [0-3]\.\d of 5 fps", last.message or ""
    ), last
