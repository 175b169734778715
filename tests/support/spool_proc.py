"""``python -m tests.support.spool_proc DATA_DIR DATABASE_URL N``: the real ingest thread in its
own process, fed reads 1..N (``tests.support.reads``); prints ``spooled`` once all N are in the
local spool, then runs until killed (the tests ``kill -9`` it while the database is down)."""

from __future__ import annotations

import queue
import sys
import time
from typing import Any

from rtcc.config import load_settings
from rtcc.runtime.ingest import Ingestor, IngestThread
from rtcc.runtime.services import build_services
from rtcc.runtime.spool import IngestSpool
from tests.support.reads import read


def main() -> None:
    data_dir, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings = load_settings(
        None,
        overrides={"data_dir": data_dir, "environment": "test", "database": {"url": url}},
        environ={},
    )
    services = build_services(settings, run_migrations=False)
    source: queue.Queue[Any] = queue.Queue()
    ingest = IngestThread(Ingestor(services), source, IngestSpool.open(settings.data_dir))
    ingest.start()
    for i in range(1, n + 1):
        source.put(read(i))
    while len(ingest.spool) < n:
        time.sleep(0.02)
    print("spooled", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
