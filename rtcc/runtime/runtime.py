"""Start and stop everything that runs beside the web server: cameras, ingest, hotlists."""

from __future__ import annotations

import logging
import queue
from datetime import timedelta

from cameras.supervisor import CameraSupervisor
from cameras.worker import DEFAULT_RECOGNIZER, RecognizerFactory
from hotlist.importer import read_file
from hotlist.service import replace_list
from retention.scheduler import RetentionScheduler
from rtcc.audit_anchor import anchor_from_settings
from rtcc.db import transaction
from rtcc.runtime.anchoring import CheckpointScheduler
from rtcc.runtime.camera_reload import RELOAD_INTERVAL_S, CameraReloader
from rtcc.runtime.camera_specs import local_worker_specs, seed_cameras
from rtcc.runtime.heap import freeze_startup_heap
from rtcc.runtime.hit_photos import HitPhotoKeeper
from rtcc.runtime.hotlists import HotlistWatcher, rebuild_index
from rtcc.runtime.ingest import Ingestor, IngestThread, sync_cameras
from rtcc.runtime.ingest_consumer import IngestConsumer, start_bus_consumer
from rtcc.runtime.outbound import OutboundDispatcher
from rtcc.runtime.oversight import OversightScheduler
from rtcc.runtime.retention_job import build_retention
from rtcc.runtime.server_runs import ServerRunRecorder
from rtcc.runtime.services import Services
from rtcc.runtime.spool import SPOOL_FILE, IngestSpool
from rtcc.runtime.storage import StorageWatcher
from rtcc.runtime.tallies import TallyScheduler

log = logging.getLogger(__name__)


def load_configured_hotlists(services: Services) -> None:
    """Load the lists named in the settings (each replaces the list of that name)."""
    now = services.clock.now()
    for hl in services.settings.hotlists:
        entries = read_file(hl.file, format=hl.format).entries
        with transaction(services.sessions) as session:
            replace_list(
                session,
                name=hl.name,
                entries=entries,
                now=now,
                kind=hl.kind,
                priority=hl.priority,
                added_by="config",
                managed_file=str(hl.file),
                alert_on_historical=hl.alert_on_historical,
                two_person_confirm=hl.two_person_confirm,
            )
        log.info(
            "hotlist %s: %d entries loaded from %s (read-only in the console)",
            hl.name,
            len(entries),
            hl.file,
        )


class Runtime:
    def __init__(
        self,
        services: Services,
        *,
        cameras: bool = True,
        recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
        camera_reload_s: float = RELOAD_INTERVAL_S,
        freeze_heap: bool = False,
    ) -> None:
        self.services = services
        self._freeze_heap = freeze_heap  # a server process's own runtime: see runtime.heap
        self.supervisor: CameraSupervisor | None = None
        self.camera_reload: CameraReloader | None = None  # camera changes applied live
        self.ingest: IngestThread | None = None
        self._cameras = cameras
        self._recognizer, self._camera_reload_s = recognizer, camera_reload_s
        self.retention: RetentionScheduler | None = None
        self.anchoring: CheckpointScheduler | None = None
        self.oversight: OversightScheduler | None = None
        self.tallies: TallyScheduler | None = None  # usage tallies, with retention
        self.consumer: IngestConsumer | None = None  # worker messages from nodes, via the bus
        self.hotlists = HotlistWatcher(services)
        self.storage = StorageWatcher(
            data_dir=services.settings.data_dir,
            settings=services.settings.storage,
            bus=services.bus,
            clock=services.clock,
        )
        self.outbound: OutboundDispatcher | None = None
        self.hit_photos = HitPhotoKeeper(services)  # with NATS: every hit's photos kept here
        self.server_run = ServerRunRecorder(sessions=services.sessions, clock=services.clock)

    def start(self) -> None:
        s = self.services
        self.server_run.start()  # camera uptime counts only time a server run covers
        with transaction(s.sessions) as session:
            sync_cameras(session, s)
        seed_cameras(s)  # cameras live in the database; the file seeds them
        load_configured_hotlists(s)
        rebuild_index(s)
        if self._freeze_heap:
            freeze_startup_heap()  # modules, settings and the first index: no more GC walks
        self.hotlists.start()
        self.storage.start()  # storage_degraded alerts (first check now)
        self.consumer = start_bus_consumer(s)
        self.hit_photos.start()
        self._start_outbound()
        if self._cameras:
            self._start_cameras()
        elif (s.settings.data_dir / SPOOL_FILE).exists():  # no cameras now: store the leftovers
            self.ingest = IngestThread(
                Ingestor(s), queue.Queue(), IngestSpool.open(s.settings.data_dir)
            )
            self.ingest.start()
        anchor = anchor_from_settings(s.settings) if s.settings.audit.checkpoints_enabled else None
        if anchor is not None:
            self.anchoring = CheckpointScheduler(
                sessions=s.sessions,
                anchor=anchor,
                clock=s.clock,
                interval_s=s.settings.audit.checkpoint_interval_minutes * 60,
            )
            self.anchoring.start()
        if s.settings.oversight.enabled:
            self.oversight = OversightScheduler(
                sessions=s.sessions,
                clock=s.clock,
                settings=s.settings.oversight,
                remind_within=timedelta(days=s.settings.hotlist_governance.remind_days_before),
            )
            self.oversight.start()
        if s.settings.retention.enabled:
            self.retention = build_retention(s, anchor=anchor)
            self.retention.start()
            self.tallies = TallyScheduler(
                sessions=s.sessions,
                clock=s.clock,
                retention=s.settings.retention,
                data_dir=s.settings.data_dir,
                first_delay_s=s.settings.retention.first_run_delay_s,
            )
            self.tallies.start()

    def _start_cameras(self) -> None:
        """The workers of the enabled cameras, and the reloader that keeps them in step with
        the database (even with none yet: the first camera added starts without a restart)."""
        s = self.services
        specs = local_worker_specs(s, recognizer=self._recognizer)
        self.supervisor = CameraSupervisor(
            [], lpr=s.settings.lpr, data_dir=s.settings.data_dir, clock=s.clock, specs=specs
        )
        self.ingest = IngestThread(
            Ingestor(s), self.supervisor.messages, IngestSpool.open(s.settings.data_dir)
        )
        self.ingest.start()  # stores what an earlier run left in the spool first
        self.supervisor.start()
        self.camera_reload = CameraReloader(
            s, self.supervisor, recognizer=self._recognizer, interval_s=self._camera_reload_s
        )
        self.camera_reload.start()

    def cameras_changed(self) -> None:
        """An admin changed the cameras: apply them now rather than at the next pass."""
        if self.camera_reload is not None:
            self.camera_reload.poke()

    def spooled(self) -> int | None:
        """Worker messages waiting in the local spool for the database (None: no spool)."""
        return len(self.ingest.spool) if self.ingest is not None else None

    def database_unreachable(self) -> bool:
        """Whether the ingest is waiting for the database (it keeps retrying)."""
        return self.ingest is not None and self.ingest.writer.outage is not None

    def _start_outbound(self) -> None:
        """Events to webhooks and MQTT (before the cameras, so no event is missed)."""
        outbound = OutboundDispatcher(self.services)
        if outbound.active:
            outbound.start()
            self.outbound = outbound

    def stop(self) -> None:
        self.hotlists.stop()
        self.storage.stop()
        self.hit_photos.stop()
        if self.consumer is not None:
            self.consumer.stop()
        if self.anchoring is not None:
            self.anchoring.stop()
        if self.oversight is not None:
            self.oversight.stop()
        if self.retention is not None:
            self.retention.stop()
        if self.tallies is not None:
            self.tallies.stop()
        if self.camera_reload is not None:
            self.camera_reload.stop()
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.ingest is not None:
            self.ingest.stop()
        if self.outbound is not None:
            self.outbound.stop()
        self.server_run.stop()
