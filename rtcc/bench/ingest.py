"""``rtcc bench ingest``: synthetic reads of many cameras through the real bus into the database.

Simulated nodes write reads to their outboxes and forward them to JetStream; ingest consumers
store them exactly once and match them against a large hotlist; another API instance, with an
officer's console on its websocket, times each hit from submit on the node to the console.
Printed beside it: the in-process figure (the single-host ingest thread's path, no bus) on the
same database.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import queue
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select

from cameras.messages import ReadMessage
from hotlist.formats import ParsedEntry
from hotlist.service import create_list, import_entries
from rtcc.audit import SYSTEM
from rtcc.bench import plategen as gen
from rtcc.bench.cameras import cpu_model
from rtcc.bench.ingest_nodes import NodeJob, SimulatedNodes
from rtcc.bench.ingest_watch import HitWatcher
from rtcc.bench.latency import service_token
from rtcc.bus import make_bus
from rtcc.bus.connection import NatsConnection
from rtcc.clock import SystemClock
from rtcc.config import Settings, load_settings
from rtcc.db import transaction
from rtcc.errors import ConfigError
from rtcc.events import InProcessBus, NewHitEvent
from rtcc.models import Camera, Hotlist, HotlistEntry, PlateRead
from rtcc.plates import PlateReadRecord
from rtcc.runtime.heap import freeze_startup_heap
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.ingest import Ingestor
from rtcc.runtime.ingest_consumer import IngestConsumer
from rtcc.runtime.services import Services, build_services
from rtcc.vocab import ReadStatus


def register(bsub: argparse._SubParsersAction, add_config: Callable) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("ingest", help="reads through NATS into the database, exactly once")
    add_config(p)
    p.add_argument("--cameras", type=int, default=1000)
    p.add_argument("--reads", type=int, default=20_000)
    p.add_argument("--hotlist-size", type=int, default=1_000_000)
    p.add_argument("--hit-share", type=float, default=0.01, help="share of reads on the list")
    p.add_argument("--nodes", type=int, default=2, help="simulated nodes (outbox + forwarder)")
    p.add_argument("--consumers", type=int, default=2, help="ingest consumers")
    p.add_argument(
        "--consoles", type=int, default=1, help="officers' consoles on the other API instance"
    )
    p.add_argument("--ingest-batch", type=int, default=200, help="bus.ingest_batch (a fetch)")
    p.add_argument("--in-process-reads", type=int, default=5_000)
    p.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="submit at this many reads/s (0: all at once; hit latency then includes the backlog)",
    )
    p.add_argument("--database-url", default=None, help="default: database.url (PostgreSQL)")
    p.add_argument("--bus-url", default=None, help="default: bus.url")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run)


def _reads(
    rng: random.Random, cams: list[str], hot: list[str], n: int, share: float, tag: str
) -> list[ReadMessage]:
    t0 = SystemClock().now()
    out = []
    for i in range(n):
        plate = rng.choice(hot) if rng.random() < share else gen.random_plate(rng)
        seen = t0 + timedelta(milliseconds=i)
        rec = PlateReadRecord(
            track_key=f"{tag}-{i}",
            status=ReadStatus.FINAL,
            plate=plate,
            confidence=0.95,
            char_confidences=tuple(0.95 for _ in plate),
            char_alternatives=(),
            alternatives=(),
            region=None,
            format_ok=True,
            frames=5,
            first_seen=seen,
            last_seen=seen,
            box=(10, 10, 90, 30),
        )
        out.append(
            ReadMessage(
                camera_id=cams[i % len(cams)], record=rec, snapshot_path=None, crop_path=None
            )
        )
    return out


def _prepare(services: Services, cameras: int, entries: int, rng: random.Random) -> list[str]:
    """Cameras and a hotlist of ``entries`` plates (made once per seed and size, then reused:
    importing a million entries takes longer than the run)."""
    now = services.clock.now()
    plates = gen.unique_plates(rng, entries)
    name = f"bench-{entries}-{hashlib.sha256(plates[0].encode()).hexdigest()[:8]}"
    with transaction(services.sessions) as s:
        s.add_all(
            Camera(
                id=f"bench-{i:05d}",
                name=f"bench {i}",
                created_at=now,
                updated_at=now,
                state="online",
                enabled=True,
                origin="api",
            )
            for i in range(cameras)
            if s.get(Camera, f"bench-{i:05d}") is None
        )
        hl = s.scalar(select(Hotlist).where(Hotlist.name == name))
        size = s.scalar(select(func.count()).where(HotlistEntry.hotlist_id == hl.id)) if hl else 0
        if hl is None or size != entries:
            if hl is not None:
                hl.name = f"{name}-partial-{uuid.uuid4().hex[:6]}"  # an interrupted import
            hl = create_list(s, name=name, now=now, actor=SYSTEM)
            import_entries(
                s,
                hotlist=hl,
                now=now,
                actor=SYSTEM,
                entries=[ParsedEntry(line=i + 2, plate=p) for i, p in enumerate(plates)],
            )
    rebuild_index(services)
    return plates


def _stored(services: Services, tag: str) -> tuple[int, int]:
    """(rows, distinct tracks) of this run's reads."""
    with services.sessions() as s:
        rows = s.scalar(select(func.count()).where(PlateRead.track_key.like(f"{tag}-%"))) or 0
        distinct = (
            s.scalar(
                select(func.count(func.distinct(PlateRead.track_key))).where(
                    PlateRead.track_key.like(f"{tag}-%")
                )
            )
            or 0
        )
    return int(rows), int(distinct)


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[max(0, int(len(values) * 0.95) - 1)], 1)


def _host_cpu() -> dict[str, float]:
    """CPU seconds so far of this host's PostgreSQL and nats-server processes (everything they
    serve, not only this run: a figure for an otherwise quiet host; 0 where they run elsewhere)."""
    out = {"postgres": 0.0, "nats_server": 0.0}
    names = {"postgres": "postgres", "nats-server": "nats_server"}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        key, times = names.get(proc.info["name"] or ""), proc.info["cpu_times"]
        if key is not None and times is not None:
            out[key] += times.user + times.system
    return out


def _jobs(
    settings: Settings, reads: list[ReadMessage], nodes: int, tmp: Path, rate: float
) -> list[NodeJob]:
    """Cameras spread over the nodes (camera ``n`` on node ``n % nodes``)."""
    cams = {cid: n % nodes for n, cid in enumerate(dict.fromkeys(m.camera_id for m in reads))}
    share: list[list[tuple[int, ReadMessage]]] = [[] for _ in range(nodes)]
    for i, msg in enumerate(reads):
        share[cams[msg.camera_id]].append((i, msg))
    return [
        NodeJob(f"bench-{n}", settings.bus, tmp / f"outbox-{n}.db", share[n], rate)
        for n in range(nodes)
    ]


def _hit_latencies_ms(reports: list[Any], watched: Any) -> list[float]:
    """Submit on a node (its earliest for the plate) to each console's first hit on it."""
    sent: dict[str, float] = {}
    for report in reports:
        for plate, at in report.sent.items():
            sent[plate] = min(at, sent.get(plate, at))
    return [
        (at - sent[plate]) * 1000
        for console in watched.hits
        for plate, at in console.items()
        if plate in sent
    ]


def _console_token(services: Services, tag: str) -> str:
    """An officer's API token for the bench's console (a new service account per run)."""
    return service_token(
        services, username=f"bench-console-{tag}", role="officer", purpose="ingest bench console"
    )


def run_bus(
    services: Services,
    settings: Settings,
    reads: list[ReadMessage],
    nodes: int,
    consumers: int,
    tmp: Path,
    tag: str,
    rate: float = 0.0,
    consoles: int = 1,
    timeout_s: float = 600,
) -> dict[str, Any]:
    """Node processes submit ``reads``; ``consumers`` ingest consumers here store them; another
    API instance and an officer's console on its websocket (``HitWatcher``, processes of their
    own) time each new hit from submit on the node to its arrival at the console."""
    watcher = HitWatcher(settings, _console_token(services, tag), consoles).start()
    conns = [NatsConnection.open(settings.bus) for _ in range(consumers)]
    cons = [IngestConsumer(services, c).start() for c in conns]
    sim = SimulatedNodes(_jobs(settings, reads, nodes, tmp, rate)).start()
    host0 = _host_cpu()
    t0, cpu0 = sim.go(), time.process_time()
    deadline = t0 + timeout_s
    while sum(c.stored for c in cons) < len(reads) and time.monotonic() < deadline:
        time.sleep(0.02)
    took, cpu = time.monotonic() - t0, time.process_time() - cpu0
    host = {k: v - host0[k] for k, v in _host_cpu().items()}
    reports = sim.reports(timeout_s=30.0)
    time.sleep(1.0)  # the last events on their way to the watcher
    watched = watcher.finish()
    for con in cons:
        con.stop()
    for c in conns:
        c.close()
    latencies = _hit_latencies_ms(reports, watched)
    rows, distinct = _stored(services, tag)
    return {
        "reads": len(reads),
        "seconds": round(took, 2),
        "reads_per_second": round(len(reads) / took, 1),
        "submit_seconds": round(max((r.submit_seconds for r in reports), default=0.0), 2),
        "lost": len(reads) - distinct,
        "duplicated": rows - distinct,
        "redeliveries_skipped": sum(c.duplicates for c in cons),
        "hits": sum(c.hits for c in cons),
        "hit_latency_ms_p95": _p95(latencies),
        "hit_latency_ms_median": round(statistics.median(latencies), 1) if latencies else None,
        "hit_latencies": len(latencies),  # each plate's first hit, at each console
        "outbox_syncs": sum(r.syncs for r in reports),
        "cpu_ms_per_read": {
            "ingest": round(cpu * 1000 / len(reads), 3),  # this process: consumers, events
            "api_instance": round(watched.cpu_seconds * 1000 / len(reads), 3),  # its hub
            "console": round(watched.console_cpu_seconds * 1000 / len(reads), 3),
            "nodes": round(sum(r.cpu_seconds for r in reports) * 1000 / len(reads), 3),
            "cameras": round(sum(r.cameras_cpu_seconds for r in reports) * 1000 / len(reads), 3),
            **{k: round(v * 1000 / len(reads), 3) for k, v in host.items()},  # host-wide
        },
        "bulk_stored": sum(c.bulk_stored for c in cons),
        "node_errors": [f"{r.node_id}: {r.error}" for r in reports if r.error]
        + [f"{nodes - len(reports)} node(s) did not report"] * (len(reports) < nodes)
        + [f"hit watcher: {watched.error}"] * bool(watched.error),
        "console_frames": watched.frames,
    }


def run_in_process(services: Services, reads: list[ReadMessage], tag: str) -> dict[str, Any]:
    """The single-host path: the ingest thread's handler, events on an in-process bus."""
    ingestor = Ingestor(services)
    sub = services.bus.subscribe(maxsize=1_000_000)
    t0 = time.perf_counter()
    latencies = []
    for msg in reads:
        start = time.perf_counter()
        ingestor.handle(msg)
        while True:
            try:
                event = sub.get(timeout=0)
            except queue.Empty:
                break
            if isinstance(event, NewHitEvent):
                latencies.append((time.perf_counter() - start) * 1000)
    took = time.perf_counter() - t0
    rows, distinct = _stored(services, tag)
    return {
        "reads": len(reads),
        "reads_per_second": round(len(reads) / took, 1),
        "lost": len(reads) - distinct,
        "duplicated": rows - distinct,
        "hit_latency_ms_p95": _p95(latencies),
    }


def _run(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.database_url:
        overrides["database"] = {"url": args.database_url}
    tag = f"b{uuid.uuid4().hex[:8]}"
    bus = {"subject_prefix": tag, "ingest_batch": args.ingest_batch}
    if args.bus_url:
        bus["url"] = args.bus_url
    overrides["bus"] = bus
    with tempfile.TemporaryDirectory() as tmp:
        overrides["data_dir"] = tmp
        settings = load_settings(args.config, overrides=overrides)
        if not settings.bus.url:
            raise ConfigError("bench ingest needs a bus: --bus-url or bus.url", field="bus.url")
        rng = random.Random(args.seed)
        services = build_services(settings, bus=make_bus(settings))  # events over NATS
        try:
            hot = _prepare(services, args.cameras, args.hotlist_size, rng)
            freeze_startup_heap()  # as ``rtcc serve`` does once its index is loaded
            cams = [f"bench-{i:05d}" for i in range(args.cameras)]
            rng = random.Random(f"{args.seed}-{tag}")  # new passes each run: new hits, not folds
            bus_reads = _reads(rng, cams, hot, args.reads, args.hit_share, tag)
            result = run_bus(
                services,
                settings,
                bus_reads,
                args.nodes,
                args.consumers,
                Path(tmp),
                tag,
                rate=args.rate,
                consoles=args.consoles,
            )
            local_reads = _reads(rng, cams, hot, args.in_process_reads, args.hit_share, tag + "L")
            local = dataclasses.replace(services, bus=InProcessBus())  # the single-host path
            result["in_process"] = run_in_process(local, local_reads, tag + "L")
        finally:
            services.engine.dispose()
            getattr(services.bus, "close")()  # noqa: B009 - NatsBus.close
    result.update(
        cpu_model=cpu_model(),
        cpu_count=psutil.cpu_count() or 1,
        load_average=[round(x, 2) for x in os.getloadavg()],  # at the end: other work here
        cameras=args.cameras,
        hotlist_size=args.hotlist_size,
        rate=args.rate,
        nodes=args.nodes,
        consumers=args.consumers,
        consoles=args.consoles,
        database=settings.database_url.split("://")[0],
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0
