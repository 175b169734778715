"""``python -m tests.support.ingest_proc CONFIG``: one bus ingest consumer in its own process,
running until killed (the tests ``kill -9`` it mid-batch)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rtcc.bus.connection import NatsConnection
from rtcc.config import load_settings
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.ingest_consumer import IngestConsumer
from rtcc.runtime.services import build_services


def main() -> None:
    settings = load_settings(Path(sys.argv[1]))
    services = build_services(settings, run_migrations=False)
    rebuild_index(services)
    IngestConsumer(services, NatsConnection.open(settings.bus)).start()
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
