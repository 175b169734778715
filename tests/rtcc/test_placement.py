"""Placement: pins, spread by capacity, minimal movement when a node leaves or joins."""

from __future__ import annotations

from collections import Counter

from rtcc.cluster.placement import assignment, place

CAMS = {f"cam-{i:04d}": None for i in range(3000)}


def test_pins_win_and_wait_for_their_node() -> None:
    live = {"a": 1.0, "b": 1.0}
    assert place("t1", live, pin="b") == "b"
    assert place("t1", {"a": 1.0}, pin="b") is None
    assert place("t1", {}) is None


def test_spread_follows_capacity() -> None:
    counts = Counter(assignment(CAMS, {"a": 1.0, "b": 1.0, "c": 2.0}).values())
    assert abs(counts["a"] - 750) < 120 and abs(counts["b"] - 750) < 120
    assert abs(counts["c"] - 1500) < 150


def test_only_the_lost_nodes_cameras_move() -> None:
    before = assignment(CAMS, {"a": 1.0, "b": 1.0, "c": 1.0})
    after = assignment(CAMS, {"a": 1.0, "c": 1.0})
    moved = [cam for cam in CAMS if before[cam] != after[cam]]
    assert moved and all(before[cam] == "b" for cam in moved)
    assert len(moved) == sum(1 for v in before.values() if v == "b")
    joined = assignment(CAMS, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0})
    assert all(joined[c] in (before[c], "d") for c in CAMS)
