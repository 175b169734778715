"""The node outbox's group commit: puts made together share one sync, none returns before its
row is on disk, and a write that fails fails every put it carried, then the outbox goes on."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from rtcc.bus.outbox import Outbox, OutboxWriteError
from tests.support.tinyfs import tmpfs


def test_puts_waiting_for_a_sync_share_the_next_one(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", linger_s=0)  # the first put does not wait
    other = sqlite3.connect(tmp_path / "outbox.db", isolation_level=None)
    returned: list[int] = []

    def put(i: int) -> None:
        outbox.put(f"m{i}", "rtcc.ingest.read.cam", b"x" * i)
        returned.append(i)

    try:
        other.execute("BEGIN IMMEDIATE")  # the disk is busy: the first put's sync waits
        threads = [threading.Thread(target=put, args=(i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        threads[0].join(0.5)
        assert returned == []  # nobody returns before its row is on disk
        other.execute("ROLLBACK")
        for thread in threads:
            thread.join(10)
        assert sorted(returned) == list(range(10))
        assert len(outbox) == 10
        assert outbox.syncs == 2  # the first put alone, then the nine that queued meanwhile
        outbox.put("m3", "rtcc.ingest.read.cam", b"again")  # an id already waiting: ignored
        assert len(outbox) == 10
    finally:
        other.close()
        outbox.close()
    reopened = Outbox(tmp_path / "outbox.db")
    try:
        assert sorted(p.message_id for p in reopened.pending(100)) == sorted(
            f"m{i}" for i in range(10)
        )
    finally:
        reopened.close()


def test_a_failed_write_fails_its_puts_and_the_outbox_goes_on() -> None:
    with tmpfs(1) as mount:  # skipped where no tmpfs can be mounted
        outbox = Outbox(mount / "outbox.db")
        try:
            with pytest.raises(OutboxWriteError, match="not stored"):
                outbox.put_many([("big", "s", b"x" * (2 * 1024 * 1024))])  # the disk is full
            outbox.put("small", "s", b"x")
            assert [p.message_id for p in outbox.pending()] == ["small"]
        finally:
            outbox.close()


def test_pending_stays_within_a_byte_budget_but_always_moves(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    try:
        outbox.put_many([(f"m{i}", "s", b"x" * size) for i, size in enumerate((600, 300, 200))])
        assert [p.message_id for p in outbox.pending(10, max_bytes=1000)] == ["m0", "m1"]
        assert [p.message_id for p in outbox.pending(1, max_bytes=1000)] == ["m0"]
        assert [p.message_id for p in outbox.pending(10, max_bytes=100)] == ["m0"]  # too big
        assert len(outbox.pending(10)) == 3
        assert outbox.syncs == 1  # one put_many, one transaction
    finally:
        outbox.close()


def test_many_relay_threads_all_stored_in_fewer_syncs(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")  # the default 2 ms linger gathers company
    start = threading.Barrier(16)

    def relay(n: int) -> None:
        start.wait()
        for i in range(25):
            outbox.put(f"cam{n}-{i}", f"rtcc.ingest.read.cam{n}", b"read")

    threads = [threading.Thread(target=relay, args=(n,)) for n in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(outbox) == 16 * 25
        assert outbox.syncs < 16 * 25 / 2  # puts shared their syncs
        assert [p.message_id for p in outbox.pending(1000) if p.message_id.startswith("cam3-")] == [
            f"cam3-{i}" for i in range(25)
        ]  # each thread's puts in the order it made them
    finally:
        outbox.close()


def test_forget_removes_the_forwarded_rows_by_seq(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", linger_s=0)
    try:
        outbox.put_many((f"m{i}", "rtcc.ingest.read.cam", b"x") for i in range(5))
        sent = outbox.pending(3)
        outbox.forget([p.seq for p in sent[::2]])  # m0 and m2
        assert [p.message_id for p in outbox.pending()] == ["m1", "m3", "m4"]
        outbox.forget([])
        assert len(outbox) == 3
    finally:
        outbox.close()
