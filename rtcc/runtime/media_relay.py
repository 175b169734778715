"""A read's photos travel with it from the node that took them to the hub that shows them.

On the node, :func:`gather` reads the read's snapshot and crop (paths relative to the data
directory, under ``media/``) so the forwarder can carry them in the read's bus message, up to
``bus.media_max_bytes`` together (JetStream refuses messages over its size limit; a read whose
photos are larger travels without them and says so in the log). On the hub, :func:`keep` writes
them at the same relative path under its own data directory before the read is stored, so the
console's ``/media/…`` links work there.

Photos are evidence and written once: a file already there (a redelivery, or a hub that shares
its data folder with the node) is left as it is. A path that is not a JPEG under ``media/`` is
refused (logged, never written).

**Every API instance serves every photo** (each has its own data folder): the ingest that
stores a read (the bus consumer, or the in-process ingest of an ``all`` host's own cameras)
also puts its photos into the JetStream object store ``<prefix>_media`` (:class:`SharedMedia`,
in the background: a slow bucket never delays a read or a hit), and an instance asked for a
photo it lacks fetches it from there and keeps it, written once and atomically
(:func:`fetch_missing`). Retention stays honest by the bucket's lifetime, not by
deletions: objects expire ``max_age`` after they were put, and only photos of reads at most
``max_lateness`` old when stored are put, so no copy in the bucket outlives the shortest read
retention (:func:`lifetime`). Copies kept by an instance are files without a row once their
read is deleted, and that instance's retention removes them as orphans.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from cameras.messages import ReadMessage
from rtcc import datadir
from rtcc.bus.connection import BusUnavailableError, NatsConnection
from rtcc.clock import Clock
from rtcc.config import RetentionSettings
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)
SUFFIXES = {".jpg", ".jpeg"}
NAME_MAX, PATH_MAX = 255, 4096  # bytes in one name, in a whole path (Linux)
DAY = 86400.0
MAX_PENDING = 32  # batches of photos being put at once; the ingest waits beyond that


def media_path(data_dir: Path, rel: str) -> Path | None:
    """Where the media file ``rel`` (relative to the data directory) lives; None when ``rel``
    is not a JPEG inside ``media/``, or a name no file system takes (one checked there would
    fail with ``ENAMETOOLONG``, not say it is absent)."""
    pure = PurePosixPath(rel)
    if (
        pure.is_absolute()
        or "\x00" in rel
        or ".." in pure.parts
        or pure.parts[:1] != ("media",)
        or pure.suffix.lower() not in SUFFIXES
        or any(len(os.fsencode(part)) > NAME_MAX for part in pure.parts)
        or len(os.fsencode(str(data_dir / pure))) >= PATH_MAX
    ):
        return None
    root = (data_dir / "media").resolve()
    target = (data_dir / pure).resolve()
    return target if target.is_relative_to(root) else None


def gather(data_dir: Path, msg: ReadMessage, *, max_bytes: int) -> dict[str, bytes]:
    """The read's photo files by relative path (none when over ``max_bytes`` together)."""
    out: dict[str, bytes] = {}
    for rel in (msg.snapshot_path, msg.crop_path):
        path = media_path(data_dir, rel) if rel else None
        if rel is None or path is None or rel in out:
            continue
        try:
            out[rel] = path.read_bytes()
        except OSError as exc:
            log.warning("read photo %s not sent: %s", rel, exc.strerror or exc)
    size = sum(len(b) for b in out.values())
    if size > max_bytes:
        log.warning(
            "photos of a read on %s not sent: %d bytes, over bus.media_max_bytes (%d)",
            msg.camera_id,
            size,
            max_bytes,
        )
        return {}
    return out


def keep(data_dir: Path, media: dict[str, bytes]) -> int:
    """Write the photos not already there; how many were written. Raises ``OSError`` when one
    cannot be written (a full disk): the read is then not stored and comes again."""
    written = 0
    for rel, data in media.items():
        path = media_path(data_dir, rel)
        if path is None:
            log.warning("refusing a read photo at %r: not a JPEG under media/", rel)
            continue
        if path.exists():
            continue  # written once: a redelivery, or a folder shared with the node
        datadir.write_atomic(path, data)
        written += 1
    return written


# --- shared across API instances: the media bucket ------------------------------------------


@dataclass(frozen=True)
class Lifetime:
    max_age_s: float  # the bucket's TTL: an object expires this long after it was put
    max_lateness_s: float  # a read older than this when stored: its photos are not put


def lifetime(retention: RetentionSettings) -> Lifetime:
    """How long the bucket keeps a photo: never past the shortest read retention (plain or
    hit reads). A read's photos are put at most ``max_lateness_s`` after it was made and kept
    ``max_age_s``; the two add up to that retention. A hit read kept longer, or a held one,
    keeps its photos in every instance's folder (``rtcc.runtime.hit_photos``), not here."""
    shortest = min(retention.days_of("plate_reads"), retention.days_of("hit_reads")) * DAY
    late = min(DAY, shortest / 2)
    return Lifetime(max_age_s=shortest - late, max_lateness_s=late)


def bucket_name(conn: NatsConnection) -> str:
    return f"{conn.settings.subject_prefix}_media"


class SharedMedia:
    """The media bucket on a NATS connection: photos put by the ingest, fetched by the API."""

    def __init__(
        self, conn: NatsConnection, *, retention: RetentionSettings, clock: Clock
    ) -> None:
        self.conn, self.clock = conn, clock
        self.name = bucket_name(conn)
        self.life = lifetime(retention)
        self.max_bytes = conn.settings.media_bucket_max_bytes or -1  # -1: no cap of its own
        self._store: ObjectStore | None = None
        self._pending: deque[Future[None]] = deque()
        self.shared = 0  # photos put
        self.failed = 0  # photos that could not be put (logged)

    async def bucket(self) -> ObjectStore:
        """The bucket, made on first use, its TTL set to :func:`lifetime` (shortened at once
        when the retention policy was shortened) and its size to ``media_bucket_max_bytes``."""
        if self._store is not None:
            return self._store
        js = self.conn.jetstream()
        try:
            store = await js.object_store(self.name)
        except BucketNotFoundError:
            config = ObjectStoreConfig(
                description="read photos, for every API instance (rtcc.runtime.media_relay)",
                ttl=self.life.max_age_s,
                max_bytes=self.max_bytes,
                storage=StorageType.FILE,
            )
            store = await js.create_object_store(self.name, config=config)
        else:
            info = await js.stream_info(f"OBJ_{self.name}")
            current = info.config
            if (
                abs((current.max_age or 0.0) - self.life.max_age_s) > 1.0
                or (current.max_bytes or -1) != self.max_bytes
            ):
                wanted = replace(current, max_age=self.life.max_age_s, max_bytes=self.max_bytes)
                await js.update_stream(wanted)
                log.info(
                    "media bucket %s: TTL %g s, at most %s bytes",
                    self.name, self.life.max_age_s, self.max_bytes,
                )
        self._store = store
        return store

    def sharable(self, media: dict[str, bytes], reads: Iterable[ReadMessage]) -> dict[str, bytes]:
        """The photos of ``reads`` (among ``media``) recent enough to be put."""
        now = self.clock.now()
        out: dict[str, bytes] = {}
        for msg in reads:
            if (now - msg.record.first_seen).total_seconds() > self.life.max_lateness_s:
                continue
            for rel in (msg.snapshot_path, msg.crop_path):
                if rel is not None and rel in media:
                    out[rel] = media[rel]
        return out

    def keep(self, data_dir: Path, media: dict[str, bytes], reads: Iterable[ReadMessage]) -> int:
        """:func:`keep` here, then put the reads' photos into the bucket in the background;
        how many were written here."""
        if not media:
            return 0  # the usual case at speed: reads without photos (or photos kept on nodes)
        written = keep(data_dir, media)
        if photos := self.sharable(media, reads):
            self.share(photos)
        return written

    def share_stored(self, data_dir: Path, msg: ReadMessage) -> None:
        """A read of this host's own cameras, stored here: its photos, read from the data
        folder, put in the bucket in the background (when recent enough)."""
        photos: dict[str, bytes] = {}
        for rel in (msg.snapshot_path, msg.crop_path):
            path = media_path(data_dir, rel) if rel else None
            if rel is not None and path is not None:
                try:
                    photos[rel] = path.read_bytes()
                except OSError:
                    continue  # not written (a full disk): the read was stored without it
        if shared := self.sharable(photos, [msg]):
            self.share(shared)

    def share(self, photos: dict[str, bytes]) -> None:
        """Put ``photos`` (relative path -> bytes) in the background, each once; beyond
        ``MAX_PENDING`` batches in flight, wait for the oldest first."""
        while len(self._pending) >= MAX_PENDING:
            try:
                self._pending.popleft().result(30.0)
            except Exception:  # noqa: BLE001 - counted and logged by _put_all
                continue
        while self._pending and self._pending[0].done():
            self._pending.popleft()
        self._pending.append(self.conn.submit(self._put_all(photos)))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for the photos being put (tests, and a consumer that stops)."""
        while self._pending:
            try:
                self._pending.popleft().result(timeout)
            except Exception:  # noqa: BLE001 - counted and logged by _put_all
                continue

    async def _put_all(self, photos: dict[str, bytes]) -> None:
        try:
            store = await self.bucket()
        except Exception as exc:  # noqa: BLE001 - the bus away: these stay on this host
            self.failed += len(photos)
            log.warning("media bucket %s unavailable: %r", self.name, exc)
            return
        await asyncio.gather(*(self._put(store, rel, data) for rel, data in photos.items()))

    async def _put(self, store: ObjectStore, rel: str, data: bytes) -> None:
        try:
            try:
                await store.get_info(rel)
                return  # written once: a redelivered read
            except ObjectNotFoundError:
                pass
            await store.put(rel, data)
            self.shared += 1
        except Exception as exc:  # noqa: BLE001 - e.g. JetStream storage full: stays here
            self.failed += 1
            log.warning("read photo %s not put in %s: %r", rel, self.name, exc)

    async def get(self, rel: str) -> bytes | None:
        """The bytes of ``rel`` in the bucket (None: not there, or no bucket yet)."""
        js = self.conn.jetstream()
        try:
            store = await js.object_store(self.name)
            result = await store.get(rel)
        except (BucketNotFoundError, ObjectNotFoundError):
            return None
        return bytes(result.data) if result.data else None


def fetch_missing(services: Services, rel: str, *, timeout: float = 15.0) -> Path | None:
    """Where the photo ``rel`` (a JPEG under ``media/``) is in this instance's data folder,
    fetched from the media bucket first when it is not there (None: in neither, or no NATS
    bus). Raises ``BusUnavailableError`` when the bucket cannot be asked, ``OSError`` when the
    copy cannot be written (a full disk)."""
    data_dir = services.settings.data_dir
    path = media_path(data_dir, rel)
    if path is None or path.is_file():
        return path
    shared = shared_media(services)
    if shared is None:
        return None
    try:
        data = shared.conn.run(shared.get(rel), timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - NATS down or slow: say so, not "absent"
        raise BusUnavailableError(f"the media bucket cannot be reached: {exc!r}") from None
    if data is None:
        return None
    keep(data_dir, {rel: data})
    return path


def shared_media(services: Services) -> SharedMedia | None:
    """The bucket on the services' NATS bus (None with the in-process bus)."""
    conn = _bus_connection(services.bus)
    if conn is None:
        return None
    return SharedMedia(conn, retention=services.settings.retention, clock=services.clock)


def _bus_connection(bus: Any) -> NatsConnection | None:
    from rtcc.bus.natsbus import NatsBus

    return bus.conn if isinstance(bus, NatsBus) else None
