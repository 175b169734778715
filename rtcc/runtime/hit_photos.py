"""Every API instance keeps the photos of every hit, not only those of the hits it stored.

The media bucket forgets a photo a little before the shortest read retention
(``media_relay.lifetime``), but a hit read may be kept longer (``hit_reads_days``, a legal
hold), and its photos are the evidence an officer acts on. So each API instance follows the
hits on the bus (new, and updated: seen again) and copies their snapshot and crop from the
bucket into its own data folder at once (``media_relay.fetch_missing``: written once,
atomically; nothing to do on the instance that stored the read). A photo not in the bucket yet
(its put still under way) is asked again a few times. The copies are files like any other:
retention deletes them with their read.
"""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time

from rtcc.events import HitUpdatedEvent, NewHitEvent, SyncSubscription
from rtcc.runtime.media_relay import fetch_missing, media_path, shared_media
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)
RETRIES = 5
RETRY_S = 2.0


def photo_paths(event: NewHitEvent | HitUpdatedEvent) -> list[str]:
    """The hit's photos, relative to the data folder (``/media/x.jpg`` -> ``media/x.jpg``)."""
    return [f"media/{url.removeprefix('/media/')}" for url in (event.snapshot_url, event.crop_url)
            if url is not None and url.startswith("/media/")]


class HitPhotoKeeper:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.kept = 0  # photos copied here
        self._retry: list[tuple[float, int, str]] = []  # heap of (due, attempt, path)
        self._sub: SyncSubscription | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> HitPhotoKeeper:
        """Follow the hits (with a NATS bus only: on one host, every photo is here already)."""
        if shared_media(self.s) is None:
            return self
        self._sub = self.s.bus.subscribe(maxsize=10_000)
        self._thread = threading.Thread(target=self._run, name="hit-photos", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        assert self._sub is not None
        while not self._stop.is_set():
            try:
                event = self._sub.get(timeout=0.5)
            except queue.Empty:
                event = None
            if isinstance(event, NewHitEvent | HitUpdatedEvent):  # seen again: a newer read
                for rel in photo_paths(event):
                    self._fetch(rel, attempt=1)
            while self._retry and self._retry[0][0] <= time.monotonic():
                _, attempt, rel = heapq.heappop(self._retry)
                self._fetch(rel, attempt=attempt)

    def _fetch(self, rel: str, *, attempt: int) -> None:
        path = media_path(self.s.settings.data_dir, rel)
        if path is None or path.is_file():
            return  # not a photo path, or here already (this instance stored the read)
        try:
            if fetch_missing(self.s, rel) is not None:
                self.kept += 1
                return
        except Exception as exc:  # noqa: BLE001 - NATS away, a full disk: asked again
            log.debug("hit photo %s not kept yet: %r", rel, exc)
        if attempt < RETRIES:
            heapq.heappush(self._retry, (time.monotonic() + RETRY_S * attempt, attempt + 1, rel))
        else:
            log.warning("hit photo %s could not be kept here: not in the media bucket", rel)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._sub is not None:
            self._sub.close()
