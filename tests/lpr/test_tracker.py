"""Tracker and consensus on synthetic observation sequences (no models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lpr.recognizer import PlateObservation
from lpr.tracker import Tracker, TrackRead
from rtcc.config import LprSettings
from rtcc.plates import CharAlternatives

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def obs(
    text: str, x: int, conf: float = 0.9, y: int = 100, chars: tuple[float, ...] | None = None
) -> PlateObservation:
    cc = chars if chars is not None else tuple(conf for _ in text)
    return PlateObservation(text, conf, cc, (x, y, x + 80, y + 25), 0.8)


def run(
    frames: list[list[PlateObservation]], settings: LprSettings | None = None, fps: float = 5.0
) -> list[TrackRead]:
    tracker = Tracker(settings or LprSettings(), key_prefix="cam")
    out: list[TrackRead] = []
    for i, seen in enumerate(frames):
        out += tracker.update(
            seen, T0 + timedelta(seconds=i / fps), frame=i, frame_size=(1280, 720)
        )
    out += tracker.update([], T0 + timedelta(seconds=len(frames) / fps + 10))
    return out


def finals(reads: list[TrackRead]) -> list[str]:
    return sorted(r.record.plate for r in reads if r.status == "final")


def test_o_zero_flips_are_outvoted() -> None:
    seq = ["ABC1234", "ABC1234", "ABC1Z34", "ABC1234", "A8C1234"]
    reads = run([[obs(t, 300 + 20 * i)] for i, t in enumerate(seq)])
    assert finals(reads) == ["ABC1234"]


def test_confidence_weighting_beats_majority() -> None:
    # Two blurry frames read O for 0, one sharp frame reads the digit: weights decide.
    low = tuple(0.9 if i != 3 else 0.2 for i in range(7))
    frames = [
        [obs("ABCO123", 300, 0.6, chars=low)],
        [obs("ABCO123", 320, 0.6, chars=low)],
        [obs("ABC0123", 340, 0.99)],
    ]
    assert finals(run(frames, LprSettings(regions=[]))) == ["ABC0123"]


def test_dropped_first_character_is_merged_not_a_second_read() -> None:
    seq = ["BC1234", "7ABC1234"[1:], "ABC1234", "BC1234", "ABC1234", "ABC1234"]
    reads = run([[obs(t, 300 + 15 * i)] for i, t in enumerate(seq)])
    assert finals(reads) == ["ABC1234"]
    final = next(r for r in reads if r.status == "final")
    assert final.record.frames == 6


def test_two_cars_in_one_frame_give_two_reads() -> None:
    frames = [[obs("ABC1234", 100 + 10 * i), obs("XYZ9876", 900 - 10 * i)] for i in range(5)]
    reads = run(frames)
    assert finals(reads) == ["ABC1234", "XYZ9876"]
    keys = {r.track_key for r in reads}
    assert len(keys) == 2


def test_preview_then_final_with_the_same_key() -> None:
    reads = run([[obs("ABC1234", 300 + 10 * i)] for i in range(4)])
    assert [r.status for r in reads] == ["preview", "final"]
    assert reads[0].track_key == reads[1].track_key
    assert reads[0].record.plate == "ABC1234"
    assert reads[1].record.first_seen == T0 and reads[1].record.frames == 4


def test_stopped_car_yields_one_read() -> None:
    settings = LprSettings(track_max_s=10.0)
    frames = [[obs("ABC1234", 500)] for _ in range(5 * 60)]  # a minute, not moving
    reads = run(frames, settings)
    assert finals(reads) == ["ABC1234"]
    assert [r.status for r in reads] == ["preview", "final"]


def test_single_low_confidence_frame_is_noise() -> None:
    assert run([[obs("FORD", 300, 0.6)]]) == []


def test_single_confident_frame_is_kept() -> None:
    assert finals(run([[obs("ABC1234", 300, 0.95)]])) == ["ABC1234"]


def test_track_closes_after_gap_and_same_plate_later_is_a_new_pass() -> None:
    frames: list[list[PlateObservation]] = [[obs("ABC1234", 300)] for _ in range(3)]
    frames += [[] for _ in range(20)]  # 4 s unseen
    frames += [[obs("ABC1234", 300)] for _ in range(3)]
    reads = run(frames)
    assert finals(reads) == ["ABC1234", "ABC1234"]
    assert len({r.track_key for r in reads}) == 2


def test_same_plate_after_a_gap_with_no_frames_between_is_a_new_pass() -> None:
    """The motion gate sends no frames while the street is empty: the next pass of the same
    car, seconds later and far from where it left, must not join the old track."""
    tracker = Tracker(LprSettings(), key_prefix="cam")
    reads = []
    for i in range(4):
        reads += tracker.update([obs("ABC1234", 300 + 20 * i)], T0 + timedelta(seconds=i / 5))
    later = T0 + timedelta(seconds=15)
    for i in range(4):
        reads += tracker.update([obs("ABC1234", 100 + 20 * i)], later + timedelta(seconds=i / 5))
    reads += tracker.flush()
    assert finals(reads) == ["ABC1234", "ABC1234"]
    first = [r for r in reads if r.status == "final"]
    assert first[0].track_key != first[1].track_key
    assert min(r.record.first_seen for r in reads if r.track_key == first[1].track_key) == later


def test_a_track_unseen_longer_than_the_gap_is_not_revived_by_sparse_frames() -> None:
    """Only keyframes are decoded while the street is still (one frame a second): a frame that
    arrives after the gap has ended the track starts a new pass, even in the same place."""
    settings = LprSettings()
    tracker = Tracker(settings, key_prefix="cam")
    reads = []
    for i in range(4):
        reads += tracker.update([obs("ABC1234", 300)], T0 + timedelta(seconds=i / 5))
    gone = T0 + timedelta(seconds=0.6)
    reads += tracker.advance(gone + timedelta(seconds=settings.track_gap_s * 0.9))  # still open
    back = gone + timedelta(seconds=settings.track_gap_s + 0.2)  # the next decoded frame
    reads += tracker.update([obs("ABC1234", 300)], back)
    reads += tracker.flush()
    assert finals(reads) == ["ABC1234", "ABC1234"]
    assert len({r.track_key for r in reads}) == 2


def test_advance_closes_tracks_while_no_frames_are_analysed() -> None:
    tracker = Tracker(LprSettings(), key_prefix="cam")
    for i in range(3):
        tracker.update([obs("XYZ987", 300)], T0 + timedelta(seconds=i / 5))
    assert tracker.advance(T0 + timedelta(seconds=1)) == []  # not gone long enough
    closed = tracker.advance(T0 + timedelta(seconds=5))
    assert [(r.status, r.record.plate) for r in closed] == [("final", "XYZ987")]
    assert tracker.advance(T0 + timedelta(seconds=6)) == []


def test_fast_mover_is_associated_by_text() -> None:
    # The plate jumps 150 px per frame (no box overlap) but reads the same.
    reads = run([[obs("ABC1234", 100 + 150 * i)] for i in range(5)])
    assert len({r.track_key for r in reads}) == 1


def test_alternatives_offer_the_runner_up() -> None:
    weak = tuple(0.9 if i != 3 else 0.55 for i in range(7))
    frames = [
        [obs("ABC1234", 300, chars=weak)],
        [obs("ABC7234", 310, 0.5)],
        [obs("ABC1234", 320, chars=weak)],
    ]
    final = next(r for r in run(frames, LprSettings(regions=[])) if r.status == "final")
    assert final.record.plate == "ABC1234"
    assert "ABC7234" in final.record.alternatives




def test_record_keeps_per_character_alternatives() -> None:
    # Position 2 is uncertain between C and G in every frame: the lattice keeps both, likeliest
    # first, alongside the per-character confidences.
    text = "ABC123"
    lattice: CharAlternatives = tuple(((ch, 0.97), ("0", 0.02)) for ch in text)
    lattice = lattice[:2] + ((("C", 0.7), ("G", 0.25), ("0", 0.05)),) + lattice[3:]
    frames = [[PlateObservation(text, 0.9, (0.97, 0.97, 0.7, 0.97, 0.97, 0.97),
                                (300 + 10 * i, 100, 380 + 10 * i, 125), 0.8,
                                raw_text=text, alternatives=lattice)] for i in range(4)]
    final = next(r for r in run(frames, LprSettings(regions=[])) if r.status == "final")
    rec = final.record
    assert rec.plate == "ABC123" and len(rec.char_alternatives) == 6
    assert [ch for ch, _ in rec.char_alternatives[2]] == ["C", "G", "0"]
    assert rec.char_alternatives[2][1][1] == pytest.approx(0.25, abs=1e-3)
    assert rec.char_confidences[2] == pytest.approx(0.7, abs=1e-3)
    assert "ABG123" in rec.alternatives


def test_keys_are_unique_across_trackers_of_one_camera() -> None:
    """A restarted worker builds a new tracker: none of its keys may repeat an earlier run's."""
    keys = []
    for _ in range(2):
        tracker = Tracker(LprSettings(), key_prefix="cam")
        for i in range(3):
            keys += [r.track_key for r in tracker.update([obs("ABC1234", 300 + 10 * i)],
                                                         T0 + timedelta(seconds=i / 5))]
        keys += [r.track_key for r in tracker.flush()]
    assert len(keys) >= 4 and len(set(keys)) == 2  # one key per pass, the same across preview/final
    assert all(k.startswith("cam-") for k in keys)


def test_key_is_prefix_run_and_counter() -> None:
    tracker = Tracker(LprSettings(), key_prefix="cam", run_id="r1")
    reads = tracker.update([obs("ABC1234", 300, 0.95)], T0) + tracker.flush()
    assert {r.track_key for r in reads} == {"cam-r1-1"}  # its instant preview and its final


def test_a_very_confident_first_frame_previews_at_once() -> None:
    tracker = Tracker(LprSettings(), key_prefix="cam")
    (first,) = tracker.update([obs("ABC1234", 300, 0.97)], T0)
    assert (first.status, first.record.plate, first.record.frames) == ("preview", "ABC1234", 1)
    # A merely confident frame waits for a second one that agrees.
    assert Tracker(LprSettings(), key_prefix="cam").update([obs("ABC1234", 300, 0.9)], T0) == []
    off = LprSettings(instant_preview_confidence=1.0)
    assert Tracker(off, key_prefix="cam").update([obs("ABC1234", 300, 0.99)], T0) == []
