"""Live camera changes on a single host: the database's camera list applied to the workers.

Every few seconds (and at once when the camera admin routes say something changed) the enabled
cameras are read and handed to :meth:`cameras.supervisor.CameraSupervisor.apply`, which starts
the new, stops the disabled and restarts the changed; a CSV import from the command line or a
change made on another server is picked up by the periodic pass. No restart of the server.
"""

from __future__ import annotations

import logging
import threading

from cameras.supervisor import Applied, CameraSupervisor
from cameras.worker import DEFAULT_RECOGNIZER, RecognizerFactory
from rtcc.periodic import PeriodicJob
from rtcc.runtime.camera_specs import current_worker_specs
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)
RELOAD_INTERVAL_S = 5.0


class CameraReloader(PeriodicJob):
    def __init__(
        self,
        services: Services,
        supervisor: CameraSupervisor,
        *,
        recognizer: str | RecognizerFactory = DEFAULT_RECOGNIZER,
        interval_s: float = RELOAD_INTERVAL_S,
    ) -> None:
        super().__init__(name="camera-reload", interval_s=interval_s)
        self.services, self.supervisor, self.recognizer = services, supervisor, recognizer
        self._pass = threading.Lock()  # the periodic pass and a poke never overlap

    def run_once(self) -> Applied | None:
        """One pass; None when the database could not be read (logged, tried again)."""
        with self._pass:
            try:
                specs = current_worker_specs(self.services, recognizer=self.recognizer)
            except Exception:  # noqa: BLE001 - the database away: the cameras keep running
                log.warning("camera reload: cannot read the cameras", exc_info=True)
                return None
            applied = self.supervisor.apply(specs)
        if applied:
            log.info(
                "cameras changed: started %s, restarted %s, stopped %s",
                list(applied.started),
                list(applied.restarted),
                list(applied.stopped),
            )
        return applied

    def poke(self) -> None:
        """Apply the cameras now (after an admin's change), without waiting for the pass."""
        threading.Thread(target=self.run_once, name="camera-reload-now", daemon=True).start()
