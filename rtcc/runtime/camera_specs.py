"""What the camera workers of this process run: the database's cameras, seeded from the file."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import ValidationError

from cameras.catalog import camera_settings, no_plates, runnable_cameras, seed_from_settings
from cameras.worker import DEFAULT_RECOGNIZER, RecognizerFactory, WorkerSpec
from rtcc.db import transaction
from rtcc.models import Camera
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)


def seed_cameras(services: Services) -> None:
    with transaction(services.sessions) as session:
        seed_from_settings(session, services.settings.cameras, now=services.clock.now())


def worker_spec(
    services: Services, cam: Camera, *, recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER
) -> WorkerSpec | None:
    """The worker spec of one camera row (None, logged, when the row cannot run).
    ``recognizer`` builds the recognizer of a camera with plate recognition."""
    try:
        cfg = camera_settings(cam)
    except ValidationError as exc:
        log.error("camera %s cannot run: %s", cam.id, exc.errors()[0]["msg"])
        return None
    settings = services.settings
    factory = recognizer if cam.lpr else no_plates
    return WorkerSpec(cfg, settings.lpr, settings.data_dir, recognizer=factory)


def local_worker_specs(
    services: Services,
    *,
    only: Iterable[str] | None = None,
    recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
) -> list[WorkerSpec]:
    """Specs of the enabled cameras (``only``: these ids), marked ``starting``."""
    wanted = set(only) if only is not None else None
    specs: list[WorkerSpec] = []
    now = services.clock.now()
    with transaction(services.sessions) as session:
        for cam in runnable_cameras(session):
            if wanted is not None and cam.id not in wanted:
                continue
            spec = worker_spec(services, cam, recognizer=recognizer)
            if spec is None:
                continue
            if cam.state not in ("starting", "online"):
                cam.state, cam.state_since_at, cam.updated_at = "starting", now, now
            specs.append(spec)
    return specs


def current_worker_specs(
    services: Services, *, recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER
) -> list[WorkerSpec]:
    """Specs of the enabled cameras as the database has them now (read only: the workers
    report their own state)."""
    with services.sessions() as session:
        rows = runnable_cameras(session)
        specs = [worker_spec(services, cam, recognizer=recognizer) for cam in rows]
    return [spec for spec in specs if spec is not None]
