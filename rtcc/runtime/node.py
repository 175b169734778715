"""``rtcc node``: run the cameras placed on this node, each under a lease, forwarding to the hub.

Every ``renew_s`` one thread heartbeats and renews each lease the node holds (a failed renewal
stops that camera at once); another reads the live nodes and the camera list, computes the
placement (pins, then rendezvous hashing by capacity), releases cameras placed elsewhere,
restarts those it keeps whose definition changed and acquires and starts those placed here.
A watchdog thread kills any camera whose lease was not renewed in time locally, well before the
lease can expire on the server and another node take it; a worker whose node died exits by
itself (``cameras.supervisor``): no camera runs twice.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import psutil

from cameras import launch
from cameras.catalog import runnable_cameras
from cameras.detector_host import DetectorHost
from cameras.logs import replay
from cameras.relay import PipeRelay
from cameras.supervisor import CameraSupervisor
from rtcc import __version__
from rtcc.bus.connection import NatsConnection
from rtcc.bus.natsbus import NatsBus
from rtcc.cluster.kv import ClusterKV, Lease
from rtcc.cluster.placement import place
from rtcc.errors import ConfigError
from rtcc.runtime.camera_specs import worker_spec
from rtcc.runtime.forwarder import Forwarder
from rtcc.runtime.services import Services
from rtcc.runtime.storage import StorageWatcher

log = logging.getLogger(__name__)
# A lease counts as ours locally for this share of its TTL after the renewal was asked; then
# the watchdog kills the camera, well before the server lets the lease expire.
LOCAL_SHARE = 0.6


@dataclass
class _Running:
    lease: Lease | None  # None: pinned here, runs without a lease (no other node may run it)
    valid_until: float  # monotonic
    supervisor: CameraSupervisor


class Node:
    def __init__(
        self, services: Services, conn: NatsConnection, forwarder: Forwarder, node_id: str
    ) -> None:
        cluster = services.settings.cluster
        known = {n.id: n.capacity for n in cluster.nodes}
        if node_id not in known:
            names = ", ".join(sorted(known)) or "none configured (cluster.nodes)"
            raise ConfigError(
                f"--node-id {node_id!r}: not a configured node; known: {names}", field="node_id"
            )
        self.s, self.conn, self.forwarder, self.node_id = services, conn, forwarder, node_id
        self.cluster, self.capacities = cluster, known
        self.kv = ClusterKV(conn, cluster)
        self.running: dict[str, _Running] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        # One thread relays the workers of every camera here (each camera has a supervisor of
        # its own, on its own lease): their reads reach the outbox a batch per disk sync.
        self.relay = PipeRelay(partial(relay_to, forwarder), name="node-relay")
        # lpr.detector = shared: one detector service for every camera of the node (a
        # supervisor of its own per camera would load the models once per camera).
        lpr = services.settings.lpr
        shared = lpr.detector == "shared"
        self.detector = DetectorHost(lpr, ctx=launch.context()) if shared else None
        self._cameras: dict[str, Any] = {}  # id -> Camera row (detached)
        self._cameras_at = -1e9
        self._threads = [
            threading.Thread(
                target=self._loop, args=(self._renew,), name="node-renew", daemon=True
            ),
            # Placement starts after the peers' next heartbeats: a node starting alone must
            # not grab every camera just to hand most of them back.
            threading.Thread(
                target=self._loop,
                args=(self.tick, cluster.renew_s * 1.5),
                name="node-place",
                daemon=True,
            ),
            threading.Thread(target=self._watchdog, name="node-watchdog", daemon=True),
        ]
        self.started_at = time.monotonic()
        # This host's disk, watched as on an API host; the alerts name the node and go out on
        # the bus (a bus that only publishes: a node listens to no events).
        self.storage = StorageWatcher(
            data_dir=services.settings.data_dir,
            settings=services.settings.storage,
            bus=NatsBus(conn, services.settings.bus),
            clock=services.clock,
            origin=f"node {node_id}",
        )

    def start(self) -> Node:
        self.conn.run(self.kv.open())
        self.conn.run(self.kv.beat(self.node_id, self.info()))
        self.relay.start()
        self.storage.start()  # first check now
        for thread in self._threads:
            thread.start()
        return self

    # --- the loop ---------------------------------------------------------------------------

    def _loop(self, step: Callable[[], None], delay: float = 0.0) -> None:
        """Renewals and placement run in separate loops: a slow start or stop of one camera
        never delays the renewal of the others' leases."""
        if self._stop.wait(delay):
            return
        while not self._stop.is_set():
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - the hub away: the watchdog stops cameras
                log.warning("node %s: %r", self.node_id, exc)
            self._stop.wait(self.cluster.renew_s)

    def _renew(self) -> None:
        self._renew_all()
        self.conn.run(self.kv.beat(self.node_id, self.info()), timeout=5.0)

    def tick(self) -> None:
        """Place cameras: release those placed elsewhere, acquire and start those placed here."""
        live = self.conn.run(self.kv.live_nodes(), timeout=10.0)
        capacities = {n: self.capacities[n] for n in live if n in self.capacities}
        capacities[self.node_id] = self.capacities[self.node_id]
        desired = {
            cid
            for cid, cam in self._camera_rows().items()
            if place(cid, capacities, pin=cam.pin_node) == self.node_id
        }
        rows = self._cameras
        for cid in sorted(set(self.running) - desired):
            if cid in rows:  # runs on: the other node announces its state
                self._stop_camera(cid, release=True, why="placed on another node")
            else:  # runs nowhere now: its last word is offline, or it shows online forever
                self._stop_camera(cid, release=True, why="disabled or removed", final=True)
        for cid in sorted(desired & set(self.running)):
            self._follow_changes(cid)
        for cid in sorted(desired - set(self.running)):
            if self._cameras[cid].pin_node == self.node_id:
                # Pinned here: nobody else may run it, so no lease — a trailer cut off from the
                # hub keeps its cameras running and its reads in the outbox.
                self._start_camera(cid, None, float("inf"))
                continue
            asked = time.monotonic()
            lease = self.conn.run(self.kv.acquire(cid, self.node_id), timeout=5.0)
            if lease is not None:
                self._start_camera(cid, lease, asked + self._local_validity())

    def _renew_all(self) -> None:
        for cid in list(self.running):
            run = self.running.get(cid)
            if run is None or run.lease is None:
                continue
            asked = time.monotonic()
            try:
                renewed = self.conn.run(self.kv.renew(run.lease), timeout=3.0)
            except Exception:  # noqa: BLE001 - unknown outcome: keep the deadline as it was
                continue
            if renewed is None:
                self._stop_camera(cid, release=False, why="lease lost")
                continue
            run.lease = renewed
            run.valid_until = asked + self._local_validity()

    def _local_validity(self) -> float:
        return self.cluster.lease_ttl_s * LOCAL_SHARE

    def _watchdog(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            for cid, run in list(self.running.items()):
                if now >= run.valid_until:
                    self._stop_camera(cid, release=False, why="lease not renewed in time")

    def _camera_rows(self) -> dict[str, Any]:
        now = time.monotonic()
        if now - self._cameras_at >= self.cluster.cameras_refresh_s:
            with self.s.sessions() as session:
                rows = runnable_cameras(session)
                session.expunge_all()
            self._cameras = {cam.id: cam for cam in rows}
            self._cameras_at = now
        return self._cameras

    # --- cameras ----------------------------------------------------------------------------

    def _start_camera(self, cid: str, lease: Lease | None, valid_until: float) -> None:
        spec = worker_spec(self.s, self._cameras[cid])
        if spec is None:
            if lease is not None:
                self.conn.run(self.kv.release(lease), timeout=5.0)
            return
        settings = self.s.settings
        supervisor = CameraSupervisor(
            [],
            lpr=settings.lpr,
            data_dir=settings.data_dir,
            clock=self.s.clock,
            specs=[spec],
            relay=self.relay,
            detector=self.detector,
        )
        run = _Running(lease, valid_until, supervisor)
        with self._lock:
            self.running[cid] = run
        supervisor.start()
        log.info("node %s: camera %s started", self.node_id, cid)

    def _follow_changes(self, cid: str) -> None:
        """A running camera whose definition changed (url, lpr, ...) restarts on its lease;
        what counts as a change is the supervisor's, as on a single host."""
        run = self.running.get(cid)
        spec = worker_spec(self.s, self._cameras[cid])
        if run is not None and spec is not None:
            run.supervisor.apply([spec], timeout=1.5)

    def _stop_camera(self, cid: str, *, release: bool, why: str, final: bool = False) -> None:
        """``final``: the camera runs nowhere any more; after everything its worker sent, its
        status says ``offline`` (the supervisor's own retirement of a camera gone)."""
        with self._lock:
            run = self.running.pop(cid, None)
        if run is None:
            return
        log.warning("node %s: camera %s stopped: %s", self.node_id, cid, why)
        if final:
            run.supervisor.apply([], timeout=1.5)
        # Still leased: a clean stop. Lease lost or about to lapse: kill the worker at once.
        run.supervisor.stop(timeout=1.5 if release else 0.2)
        if release and run.lease is not None:
            try:
                self.conn.run(self.kv.release(run.lease), timeout=5.0)
            except Exception:  # noqa: BLE001 - it expires on its own
                log.debug("release of %s failed", cid, exc_info=True)

    # --- reporting --------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        with self._lock:
            running = {cid: run.supervisor.pids().get(cid) for cid, run in self.running.items()}
        return {
            "id": self.node_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "cameras": sorted(running),
            "pids": running,
            "cpu": psutil.cpu_percent(None),
            "version": __version__,
            "python": platform.python_version(),
            "at": time.time(),
            "outbox": len(self.forwarder.outbox),
        }

    def stop(self) -> None:
        self._stop.set()
        self.storage.stop()
        for cid in list(self.running):
            self._stop_camera(cid, release=True, why="node stopping")
        for thread in self._threads:
            thread.join(10.0)
        self.relay.stop()
        if self.detector is not None:
            self.detector.stop()


def relay_to(forwarder: Forwarder, messages: list[Any]) -> None:
    """Hand a batch of worker messages on: log records to this process's logging, the rest
    into the outbox together (one disk sync)."""
    out = []
    for msg in messages:
        if isinstance(msg, logging.LogRecord):
            replay(msg)
        else:
            out.append(msg)
    forwarder.submit_many(out)
