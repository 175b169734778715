"""Settings for inbound alerts (gunshot sources) and outbound destinations.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from rtcc.config.sections import Section


class SignedSource(Section):
    """A system that calls us with requests signed by a shared secret (HMAC-SHA256)."""

    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("at least 16 characters")
        return value


class GunshotSettings(Section):
    sources: dict[str, SignedSource] = Field(default_factory=dict)  # name -> secret
    cover_radius_m: float = Field(default=400.0, gt=0, le=10_000)  # cameras considered
    bookmark_before_s: float = Field(default=120.0, ge=0, le=3600)
    bookmark_after_s: float = Field(default=300.0, ge=0, le=3600)
    # The bookmarked recordings are held from retention (a legal hold) this long.
    bookmark_hold_days: int = Field(default=90, ge=1, le=3650)
    reads_radius_m: float = Field(default=500.0, gt=0, le=10_000)  # "reads near the spot"
    reads_window_s: float = Field(default=900.0, gt=0, le=86_400)  # either side of the shots


OutboundEventType = Literal["hit", "hit_updated", "gunshot", "camera_status"]


def _default_outbound_events() -> list[OutboundEventType]:
    return ["hit", "gunshot"]


class OutboundDestination(Section):
    """Where events go, and which: event types, then hotlists, priority and cameras (None: any)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    events: list[OutboundEventType] = Field(default_factory=_default_outbound_events)
    lists: list[str] | None = None
    min_priority: int | None = Field(default=None, ge=0, le=100)
    cameras: list[str] | None = None
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_s: float = Field(default=1.0, gt=0, le=60)  # doubled after each failed attempt
    backoff_max_s: float = Field(default=60.0, gt=0, le=3600)
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class WebhookSettings(OutboundDestination):
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr  # signs each delivery like inbound alerts (X-Rtcc-Signature)


class MqttSettings(OutboundDestination):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    topic_prefix: str = Field(default="rtcc", pattern=r"^[A-Za-z0-9_/-]+$")  # <prefix>/<event>
    qos: int = Field(default=1, ge=0, le=2)
    username: str | None = None
    password: SecretStr | None = None


class IntegrationsSettings(Section):
    # Signed requests whose timestamp is further than this from our clock are refused.
    max_skew_s: float = Field(default=300.0, ge=1, le=3600)
    gunshot: GunshotSettings = Field(default_factory=GunshotSettings)
    trailer_sources: dict[str, SignedSource] = Field(default_factory=dict)  # position updates
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    mqtt: list[MqttSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_destinations(self) -> IntegrationsSettings:
        names = [d.name for d in [*self.webhooks, *self.mqtt]]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"destination name(s) used twice: {', '.join(twice)}")
        return self
