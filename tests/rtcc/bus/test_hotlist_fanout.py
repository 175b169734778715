"""Hotlist changes reach every instance within a second: a change made through one instance's
bus (a manual entry, a removal, a CLI import) is matched by the other instance's index."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotlist import service
from hotlist.formats import ParsedEntry
from hotlist.service import replace_list
from rtcc.audit import Actor
from rtcc.auth.principal import Principal
from rtcc.auth.visibility import scope_of, sees_event
from rtcc.bus import make_bus
from rtcc.db import transaction
from rtcc.events import HotlistChangedEvent
from rtcc.models import Hotlist
from rtcc.runtime.hotlists import HotlistWatcher, announce_change, entry_added, rebuild_index
from rtcc.runtime.services import Services, build_services
from tests.support.natsserver import NatsServer
from tests.support.reads import T0

pytestmark = pytest.mark.slow
ACTOR = Actor(username="test", roles=("supervisor",), source="test", credential="test")


@pytest.fixture
def pair(services: Services, make_settings: Any, tmp_path: Path) -> Iterator[tuple[Services, ...]]:
    server = NatsServer(tmp_path / "js").start()
    settings = make_settings(database={"url": services.settings.database_url},
                             bus={"url": server.url})
    a = build_services(settings, bus=make_bus(settings), clock=services.clock)
    b = build_services(settings, bus=make_bus(settings), clock=services.clock,
                       run_migrations=False)
    with transaction(a.sessions) as s:
        replace_list(s, name="stolen", entries=[ParsedEntry(line=1, plate="OLD0001")], now=T0)
    for svc in (a, b):
        rebuild_index(svc)
    watcher = HotlistWatcher(b, interval_s=3600)  # no periodic look: only the event counts
    watcher.start()
    yield a, b
    watcher.stop()
    for svc in (a, b):
        svc.engine.dispose()
        getattr(svc.bus, "close")()  # noqa: B009 - NatsBus.close
    server.stop()


def _matches(svc: Services, plate: str) -> bool:
    return bool(svc.matcher.match(plate, state=None, now=svc.clock.now()))


def _seconds_until(svc: Services, plate: str, *, present: bool, limit: float = 5.0) -> float:
    t0 = time.monotonic()
    while _matches(svc, plate) != present:
        assert time.monotonic() - t0 < limit, f"{plate} never {'in' if present else 'out of'} index"
        time.sleep(0.02)
    return time.monotonic() - t0


@pytest.mark.timeout(60)
def test_entry_added_and_removed_on_one_instance_is_matched_on_the_other(
    pair: tuple[Services, Services],
) -> None:
    a, b = pair
    assert _matches(b, "OLD0001") and not _matches(b, "NEW0001")
    with transaction(a.sessions) as s:
        hotlist = s.query(Hotlist).filter_by(name="stolen").one()
        entry = service.add_entry(s, hotlist=hotlist, plate="NEW0001", now=a.clock.now(),
                                  actor=ACTOR, reason="test fan-out")
        s.flush()
        entry_id = entry.id
    entry_added(a, entry_id=entry_id)  # swaps a's index and announces the change
    assert _matches(a, "NEW0001")
    assert _seconds_until(b, "NEW0001", present=True) < 1.0

    with transaction(a.sessions) as s:
        service.delete_entry(s, entry_id=entry_id, now=a.clock.now(), actor=ACTOR)
    a.matcher.remove([entry_id])
    announce_change(a, hotlist_id=hotlist.id, change="entry_removed")
    assert _seconds_until(b, "NEW0001", present=False) < 1.0


@pytest.mark.timeout(180)
def test_cli_import_is_matched_by_a_running_instance_within_a_second(
    pair: tuple[Services, Services], tmp_path: Path,
) -> None:
    _, b = pair
    listfile = tmp_path / "l.csv"
    listfile.write_text("plate,reason\nCLI4242,stolen\n", encoding="utf-8")
    config = tmp_path / "rtcc.yaml"
    settings = b.settings
    config.write_text(f"data_dir: {settings.data_dir}\ndatabase:\n  url: {settings.database_url}\n"
                      f"bus:\n  url: {settings.bus.url}\n")
    exe = Path(sys.executable).with_name("rtcc")
    proc = subprocess.run(
        [str(exe), "hotlist", "import", str(listfile), "--list", "cli", "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    done = time.monotonic()
    assert _seconds_until(b, "CLI4242", present=True) < 1.0
    assert time.monotonic() - done < 1.0


def test_hotlist_changes_never_reach_browsers() -> None:
    """Fail closed: no visibility rule, so not even a supervisor's console receives one."""
    event = HotlistChangedEvent(hotlist_id=3, change="import", origin="x").to_message()
    boss = Principal(user_id=1, username="boss", roles=("supervisor", "admin"),
                     permissions=frozenset({"hits:view", "reads:live", "cameras:view"}))
    hit_like = {**event, "type": "hit", "camera_id": "cam-a"}
    assert sees_event(scope_of(boss), hit_like, restricted_ids=frozenset())  # the user sees hits
    assert not sees_event(scope_of(boss), event, restricted_ids=frozenset())
