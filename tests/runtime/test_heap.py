"""A server process freezes its start-up heap (modules, settings, the first hotlist index), so
the cyclic collector's full walks, which hold the interpreter and with it every hit on its way
to a console, no longer visit them. Run in a process of its own: freezing is process-wide."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import gc, sys, time
from rtcc.config import load_settings
from rtcc.db import transaction
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import build_services
from hotlist.formats import ParsedEntry
from hotlist.service import create_list, import_entries
from rtcc.audit import SYSTEM

data, freeze = sys.argv[1], sys.argv[2] == "1"
settings = load_settings(None, overrides={
    "data_dir": data, "environment": "test",
    "database": {"url": f"sqlite:///{data}/t.db"}, "retention": {"enabled": False},
}, environ={})
svc = build_services(settings)
with transaction(svc.sessions) as s:
    hl = create_list(s, name="big", now=svc.clock.now(), actor=SYSTEM)
    plates = [f"{chr(65 + i // 10000 % 26)}{chr(65 + i // 400 % 25)}{i % 400:03d}Q{i % 7}"
              for i in range(60000)]
    import_entries(s, hotlist=hl, now=svc.clock.now(), actor=SYSTEM,
                   entries=[ParsedEntry(line=n + 2, plate=p) for n, p in enumerate(plates)])
rt = Runtime(svc, cameras=False, freeze_heap=freeze)
rt.start()
try:
    assert svc.matcher.index.size == 60000, svc.matcher.index.size
    frozen = gc.get_freeze_count()
    walked = len(gc.get_objects())
    t0 = time.perf_counter()
    gc.collect()
    print(frozen, walked, round((time.perf_counter() - t0) * 1000, 2))
finally:
    rt.stop()
"""


def _start(tmp_path: Path, freeze: bool) -> tuple[int, int, float]:
    data = tmp_path / ("frozen" if freeze else "plain")
    data.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data), "1" if freeze else "0"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    frozen, walked, ms = done.stdout.split()[-3:]
    return int(frozen), int(walked), float(ms)


@pytest.mark.slow
def test_a_server_runtime_freezes_its_start_up_heap_and_a_plain_one_does_not(
    tmp_path: Path,
) -> None:
    frozen, walked, _ = _start(tmp_path, freeze=True)
    plain_frozen, plain_walked, _ = _start(tmp_path, freeze=False)
    assert plain_frozen == 0
    assert frozen > 50_000  # every module, the settings, the index
    # What a full collection still walks: the threads' work since, not the start-up heap.
    assert walked < plain_walked / 10
