"""Concurrent appends to the audit chain: every one lands, the chain stays intact (both DBs)."""

from __future__ import annotations

import threading

from rtcc import audit
from rtcc.audit import Actor
from rtcc.models import AuditEvent
from rtcc.runtime.services import Services

WORKERS = 16
EACH = 5


def _append_many(services: Services, who: int, errors: list[BaseException]) -> None:
    actor = Actor(username=f"user{who}", roles=("detective",), source="10.0.0.1",
                  credential=f"token:{who}")
    try:
        for i in range(EACH):
            with services.sessions() as s:
                s.connection()  # a transaction that has read something first, like a request
                audit.record(s, now=services.clock.now(), actor=actor, action="reads.search",
                             target=f"q{i}")
                s.commit()
    except BaseException as exc:  # noqa: BLE001 - collected and asserted below
        errors.append(exc)


def test_concurrent_appends_all_land_and_chain(services: Services) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def run(who: int) -> None:
        start.wait()
        _append_many(services, who, errors)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with services.sessions() as s:
        report = audit.check_chain(s)
        credentials = {e.credential for e in s.query(AuditEvent)}
    assert report.ok, report.problem
    assert report.rows == WORKERS * EACH
    assert credentials == {f"token:{w}" for w in range(WORKERS)}


def test_credential_is_covered_by_the_hash(services: Services) -> None:
    actor = Actor(username="a", credential="session:abc")
    with services.sessions() as s:
        event = audit.record(s, now=services.clock.now(), actor=actor, action="x")
        s.commit()
        before = event.hash
        event.credential = "token:9"
        assert audit.compute_hash(event) != before
