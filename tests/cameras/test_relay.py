"""``PipeRelay``: one thread reads many worker pipes, hands messages on in batches, in order."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from pathlib import Path
from typing import Any

from cameras.messages import StatusMessage
from cameras.relay import PipeRelay
from cameras.supervisor import CameraSupervisor
from rtcc.clock import SystemClock
from tests.support.scripted import ScriptedFactory
from tests.support.workers import CameraRuns


def _wait(cond: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_one_thread_relays_every_pipe_in_order_then_ends_each() -> None:
    batches: list[list[Any]] = []
    ended: list[Any] = []
    events: list[str] = []

    def deliver(batch: list[Any]) -> None:
        batches.append(batch)
        events.append("batch")

    def on_end(conn: Any) -> None:
        ended.append(conn)
        events.append("end")
        conn.close()

    relay = PipeRelay(deliver)
    writers = []
    for _ in range(50):
        reader, writer = mp.Pipe(duplex=False)
        relay.add(reader, on_end)
        writers.append(writer)
    threads_before = threading.active_count()
    relay.start()
    assert threading.active_count() == threads_before + 1
    for n, writer in enumerate(writers):
        for i in range(20):
            writer.send((n, i))
    for writer in writers:
        writer.close()
    assert _wait(lambda: len(ended) == 50)
    relay.stop()
    got = [m for batch in batches for m in batch]
    assert sorted(got) == [(n, i) for n in range(50) for i in range(20)]
    for n in range(50):  # each pipe's messages in the order sent
        assert [i for c, i in got if c == n] == list(range(20))
    assert len(batches) < len(got)  # handed on together, not one call per message
    assert events.index("end") > events.index("batch")
    assert len(relay) == 0


def test_messages_of_an_ending_pipe_come_before_its_end() -> None:
    order: list[Any] = []
    relay = PipeRelay(order.extend)
    reader, writer = mp.Pipe(duplex=False)

    def on_end(conn: Any) -> None:
        order.append("end")
        conn.close()

    relay.add(reader, on_end)
    for i in range(5):
        writer.send(i)
    writer.close()
    relay.relay_once([reader])
    while len(relay):
        relay.relay_once([reader])
    assert order == [0, 1, 2, 3, 4, "end"]


def test_a_failing_hand_over_does_not_stop_the_relay() -> None:
    got: list[Any] = []

    def deliver(batch: list[Any]) -> None:
        if "bad" in batch:
            raise OSError("disk full")
        got.extend(batch)

    relay = PipeRelay(deliver, poll_s=0.05).start()
    reader, writer = mp.Pipe(duplex=False)
    relay.add(reader, lambda conn: conn.close())
    writer.send("bad")
    time.sleep(0.3)
    writer.send("good")
    assert _wait(lambda: got == ["good"])
    writer.close()
    assert _wait(lambda: len(relay) == 0)
    relay.stop()


def test_supervisors_share_one_relay(tmp_path: Path) -> None:
    """A node's cameras (a supervisor each) are relayed by the node's one thread: their
    workers' messages and the supervisors' own statuses reach its hand-over, not their queues."""
    got: list[Any] = []
    relay = PipeRelay(got.extend, name="node-relay").start()
    runs = CameraRuns(tmp_path)
    cams = [{"id": c, "url": str(tmp_path / "missing.mp4")} for c in ("a", "b")]
    sups = [
        CameraSupervisor(
            [],
            lpr=runs._settings(None).lpr,
            data_dir=tmp_path,
            clock=SystemClock(),
            specs=[spec],
            relay=relay,
        )
        for spec in runs.specs(cams, recognizer=ScriptedFactory(()))
    ]
    for sup in sups:
        sup.start()
    try:
        assert _wait(lambda: {m.camera_id for m in got if _error(m)} == {"a", "b"}, 30)
        assert all(sup.messages.empty() for sup in sups)
        assert not [t for t in threading.enumerate() if t.name == "camera-relay"]
    finally:
        for sup in sups:
            sup.stop(timeout=2)
    assert _wait(lambda: len(relay) == 0)  # the stopped workers' pipes ended and were closed
    relay.stop()


def _error(msg: Any) -> bool:
    return isinstance(msg, StatusMessage) and msg.state == "error"
