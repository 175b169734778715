"""Outbound events as a bus subscriber: one routing thread reads the bus and queues each event
for the destinations that want it; one thread per destination delivers (with retries), so a
slow or dead destination never blocks ingest, the bus or the other destinations. Every attempt
is a row in ``outbound_delivery``."""

from __future__ import annotations

import logging
import queue
import threading

from rtcc.config import OutboundDestination
from rtcc.db import transaction
from rtcc.events import EventBus, SyncSubscription
from rtcc.integrations.outbound import (
    Attempt,
    CameraStateChanges,
    Delivery,
    MqttSender,
    Sender,
    WebhookSender,
    deliver,
    wanted,
)
from rtcc.models import OutboundDelivery
from rtcc.runtime.services import Services

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000


class _Destination:
    def __init__(self, cfg: OutboundDestination, sender: Sender) -> None:
        self.cfg = cfg
        self.sender = sender
        self.queue: queue.Queue[Delivery] = queue.Queue(maxsize=QUEUE_SIZE)
        self.thread: threading.Thread | None = None


def configured_senders(services: Services) -> list[tuple[OutboundDestination, Sender]]:
    out: list[tuple[OutboundDestination, Sender]] = []
    integrations = services.settings.integrations
    for hook in integrations.webhooks:
        out.append((hook, WebhookSender(hook, services.clock)))
    for broker in integrations.mqtt:
        out.append((broker, MqttSender(broker)))
    return out


class OutboundDispatcher:
    def __init__(self, services: Services, bus: EventBus | None = None) -> None:
        self.s = services
        self._bus = bus or services.bus
        self._stop = threading.Event()
        self._dests = [_Destination(cfg, sender) for cfg, sender in configured_senders(services)]
        self._router: threading.Thread | None = None
        self._sub: SyncSubscription | None = None

    @property
    def active(self) -> bool:
        return bool(self._dests)

    def start(self) -> None:
        self._sub = self._bus.subscribe(maxsize=10 * QUEUE_SIZE)
        self._router = threading.Thread(target=self._route, name="outbound", daemon=True)
        self._router.start()
        for dest in self._dests:
            dest.thread = threading.Thread(
                target=self._work, args=(dest,), name=f"outbound-{dest.cfg.name}", daemon=True
            )
            dest.thread.start()

    def _route(self) -> None:
        assert self._sub is not None
        changes = CameraStateChanges()
        while not self._stop.is_set():
            try:
                event = self._sub.get(timeout=0.5)
            except queue.Empty:
                continue
            message = event.to_message()
            if not changes.passes(message):
                continue
            for dest in self._dests:
                if not wanted(dest.cfg, message):
                    continue
                delivery = Delivery.of(message)
                try:
                    dest.queue.put_nowait(delivery)
                except queue.Full:
                    self._record(dest, delivery, Attempt(0, False, None, "queue full: dropped", 0))

    def _work(self, dest: _Destination) -> None:
        while not self._stop.is_set():
            try:
                delivery = dest.queue.get(timeout=0.5)
            except queue.Empty:
                continue

            def record(attempt: Attempt, delivery: Delivery = delivery) -> None:
                self._record(dest, delivery, attempt)

            try:
                deliver(dest.sender, delivery, dest.cfg, record=record, wait=self._stop.wait)
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the destination
                log.exception("outbound %s: delivery failed", dest.cfg.name)

    def _record(self, dest: _Destination, delivery: Delivery, attempt: Attempt) -> None:
        if not attempt.ok:
            log.warning("outbound %s: %s attempt %d failed: %s", dest.cfg.name,
                        delivery.event_type, attempt.number, attempt.error)
        try:
            with transaction(self.s.sessions) as session:
                session.add(OutboundDelivery(
                    destination=dest.cfg.name, kind=dest.sender.kind,
                    event_type=delivery.event_type, event_key=delivery.key,
                    attempt=attempt.number, ok=attempt.ok, status_code=attempt.status_code,
                    error=attempt.error, duration_ms=round(attempt.duration_ms, 2),
                    at=self.s.clock.now(),
                ))
        except Exception:  # noqa: BLE001 - the log must not kill delivery
            log.exception("outbound %s: cannot log a delivery", dest.cfg.name)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._sub is not None:
            self._sub.close()
        threads = [self._router, *(d.thread for d in self._dests)]
        for thread in threads:
            if thread is not None:
                thread.join(timeout)
        for dest in self._dests:
            dest.sender.close()
