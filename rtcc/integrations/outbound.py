"""Events out to other systems: which events a destination wants, and delivering one with
retries and backoff. Webhooks are signed like inbound alerts (``rtcc.integrations.signing``,
source ``rtcc``); MQTT messages go to ``<topic_prefix>/<event type>``.

The thread that routes bus events to destinations lives in ``rtcc.runtime.outbound``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from rtcc.clock import Clock
from rtcc.config import MqttSettings, OutboundDestination, WebhookSettings
from rtcc.integrations.signing import signed_headers

OUTBOUND_SOURCE = "rtcc"  # X-Rtcc-Source of our webhooks
EVENT_HEADER = "X-Rtcc-Event"


class DeliveryError(Exception):
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code

    def __repr__(self) -> str:
        return f"DeliveryError({str(self)!r}, status_code={self.status_code!r})"


def _cameras_of(message: Mapping[str, Any]) -> set[str]:
    if message.get("type") == "gunshot":
        return {str(c.get("camera_id")) for c in message.get("covering") or []}
    camera = message.get("camera_id")
    return {camera} if isinstance(camera, str) else set()


def wanted(dest: OutboundDestination, message: Mapping[str, Any]) -> bool:
    """Whether ``dest`` takes this event: its type, then (hits) list and priority, then cameras
    (a gunshot alert by its covering cameras). Unknown types are never sent."""
    kind = message.get("type")
    if kind not in dest.events:
        return False
    is_hit = kind in ("hit", "hit_updated")
    if dest.lists is not None and (not is_hit or message.get("hotlist") not in dest.lists):
        return False
    if dest.min_priority is not None:
        priority = message.get("priority")
        if not is_hit or not isinstance(priority, int) or priority < dest.min_priority:
            return False
    return dest.cameras is None or bool(_cameras_of(message) & set(dest.cameras))


class CameraStateChanges:
    """Camera status events repeat every few seconds with new figures; only a change of state
    goes out (the first status seen of a camera counts as a change)."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}

    def passes(self, message: Mapping[str, Any]) -> bool:
        if message.get("type") != "camera_status":
            return True
        camera, state = str(message.get("camera_id")), str(message.get("state"))
        if self._last.get(camera) == state:
            return False
        self._last[camera] = state
        return True


def event_key(message: Mapping[str, Any]) -> str | None:
    """What the event is about, for the delivery log (``hit:12``, ``camera:gate-1``, ...)."""
    kind = message.get("type")
    if kind in ("hit", "hit_updated"):
        return f"hit:{message.get('id')}"
    if kind == "gunshot":
        return f"gunshot:{message.get('source')}:{message.get('alert_id')}:{message.get('version')}"
    if kind == "camera_status":
        return f"camera:{message.get('camera_id')}"
    return None


@dataclass(frozen=True)
class Delivery:
    event_type: str
    key: str | None
    body: bytes  # the event's JSON

    @classmethod
    def of(cls, message: Mapping[str, Any]) -> Delivery:
        body = json.dumps(message, separators=(",", ":"), default=str).encode()
        return cls(str(message.get("type")), event_key(message), body)


@dataclass(frozen=True)
class Attempt:
    number: int
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float


class Sender(Protocol):
    kind: str

    def send(self, delivery: Delivery) -> int | None:
        """Deliver once; raises :class:`DeliveryError`. Returns a status code if there is one."""
        ...

    def close(self) -> None: ...


class WebhookSender:
    kind = "webhook"

    def __init__(self, cfg: WebhookSettings, clock: Clock) -> None:
        self._cfg = cfg
        self._clock = clock
        self._client = httpx.Client(timeout=cfg.timeout_s, follow_redirects=False)

    def send(self, delivery: Delivery) -> int | None:
        ts = int(self._clock.now().timestamp())
        secret = self._cfg.secret.get_secret_value()
        headers = {
            **signed_headers(OUTBOUND_SOURCE, secret, ts, delivery.body),
            "Content-Type": "application/json", EVENT_HEADER: delivery.event_type,
        }
        try:
            resp = self._client.post(self._cfg.url, content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"HTTP {resp.status_code}", resp.status_code)
        return resp.status_code

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"WebhookSender({self._cfg.name!r})"


class MqttSender:
    kind = "mqtt"

    def __init__(self, cfg: MqttSettings) -> None:
        self._cfg = cfg
        self._client: mqtt.Client | None = None

    def _connected(self) -> mqtt.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        self.close()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"rtcc-{self._cfg.name}")
        if self._cfg.username:
            password = self._cfg.password.get_secret_value() if self._cfg.password else None
            client.username_pw_set(self._cfg.username, password)
        try:
            client.connect(self._cfg.host, self._cfg.port, keepalive=30)
        except OSError as exc:
            where = f"{self._cfg.host}:{self._cfg.port}"
            raise DeliveryError(f"cannot connect to {where}: {exc}") from None
        client.loop_start()
        self._client = client
        return client

    def send(self, delivery: Delivery) -> int | None:
        client = self._connected()
        topic = f"{self._cfg.topic_prefix}/{delivery.event_type}"
        info = client.publish(topic, delivery.body, qos=self._cfg.qos)
        try:
            info.wait_for_publish(timeout=self._cfg.timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryError(f"publish failed: {exc}") from None
        if not info.is_published():
            raise DeliveryError(f"not acknowledged within {self._cfg.timeout_s} s")
        return None

    def close(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None

    def __repr__(self) -> str:
        return f"MqttSender({self._cfg.name!r})"


def deliver(
    sender: Sender, delivery: Delivery, policy: OutboundDestination, *,
    record: Callable[[Attempt], None], wait: Callable[[float], bool],
) -> bool:
    """Try up to ``max_attempts`` times, waiting ``backoff_s`` doubled after each failure (capped
    at ``backoff_max_s``); every attempt is passed to ``record``. ``wait(seconds)`` returns True
    when the caller is stopping (the delivery is then abandoned)."""
    delay = policy.backoff_s
    for number in range(1, policy.max_attempts + 1):
        started = time.perf_counter()
        try:
            status = sender.send(delivery)
        except DeliveryError as exc:
            took = (time.perf_counter() - started) * 1000
            record(Attempt(number, False, exc.status_code, str(exc)[:1000], took))
        else:
            took = (time.perf_counter() - started) * 1000
            record(Attempt(number, True, status, None, took))
            return True
        if number < policy.max_attempts:
            if wait(delay):
                return False
            delay = min(delay * 2, policy.backoff_max_s)
    return False
