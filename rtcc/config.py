"""The one settings object: a YAML file overridden by ``RTCC_*`` environment variables.

Nothing here reads the environment at import time; :func:`load_settings` is called by the
entry point and the result is passed down explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from rtcc.errors import ConfigError
from rtcc.schemas.types import CameraId
from rtcc.vocab import HotlistFormat


class Section(BaseModel):
    """Base for every settings section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: str | None = None  # default: sqlite file under data_dir
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    # Request bodies: refused with 413 before they are read (``web.hardening``).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # JSON and forms
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)  # hotlist file uploads
    # Browser origins (scheme://host[:port]) besides the server's own that may open the live
    # websocket; a page from any other origin (even another port of this host) is refused.
    allowed_origins: list[str] = Field(default_factory=list)


class LprSettings(Section):
    detector_model: str = "yolo-v9-t-416-license-plate-end2end"
    ocr_model: str = "cct-xs-v2-global-model"
    # Extra OCR models whose outputs are combined with ocr_model's (empty: one model only).
    extra_ocr_models: list[str] = Field(default_factory=lambda: ["cct-xs-v1-global-model"])
    model_dir: Path | None = None  # offline model bundle; None -> fast-alpr hub names
    detector_conf_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    min_length: int = Field(default=2, ge=1, le=12)
    threads: int = Field(default=1, ge=1, le=64)
    # per_camera: every camera worker loads its own models; shared: one detector service per
    # host (models loaded once, onnxruntime on every core, OCR batched across cameras).
    detector: Literal["per_camera", "shared"] = "per_camera"
    regions: list[str] = Field(default_factory=lambda: ["us"])
    drop_unformatted: bool = False
    # Each plate crop is read once per padding (share of the box width added on each side);
    # the OCR probabilities of all paddings and models are averaged.
    ocr_paddings: list[float] = Field(default_factory=lambda: [0.05, 0.15])
    # Cascade: when the first OCR model reads every character of a crop at least this sure, the
    # other models and paddings are skipped for it (> 1: always the whole ensemble).
    ocr_sure: float = Field(default=0.99, ge=0.0, le=1.01)
    # Accept a format-fitting string when its log-probability is within this of the top string.
    format_margin: float = Field(default=2.5, ge=0.0, le=50.0)
    unformatted_penalty: float = Field(default=0.8, ge=0.0, le=1.0)  # confidence factor
    top_k: int = Field(default=3, ge=1, le=10)  # alternatives kept per character
    # Polygons ([x, y] frame pixels) where plate detections are ignored (signs, lettering).
    masks: list[list[tuple[int, int]]] = Field(default_factory=list)
    # Tracking: a track closes after track_gap_s unseen; a stopped car is finalised after
    # track_max_s.
    track_gap_s: float = Field(default=1.5, gt=0)
    track_max_s: float = Field(default=30.0, gt=0)
    preview_frames: int = Field(default=2, ge=1, le=50)  # agreeing frames before the preview read
    single_frame_min_confidence: float = Field(default=0.85, ge=0.0, le=1.0)
    # A preview goes out on the very first frame whose read is at least this confident (a hit
    # on it reaches the console one detection interval and inference earlier); 1.0 = never.
    instant_preview_confidence: float = Field(default=0.95, ge=0.0, le=1.0)
    # Video: plates whose box is within this many pixels of the frame border are cut off; ignored.
    edge_margin_px: int = Field(default=2, ge=0, le=100)


class Location(Section):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class MotionSettings(Section):
    enabled: bool = True
    sensitivity: float = Field(default=0.5, ge=0.0, le=1.0)
    # Polygons (lists of [x, y] in frame pixels) whose pixels never count as motion.
    masks: list[list[tuple[int, int]]] = Field(default_factory=list)


class CameraSettings(Section):
    id: CameraId
    name: str = ""
    url: str = Field(min_length=1)
    # Lower-resolution substream for analytics and wall tiles; ``url`` (the main stream) is
    # recorded and shown when a tile is enlarged.
    detect_url: str | None = None
    enabled: bool = True
    detect_fps: float = Field(default=5.0, gt=0, le=60)
    location: Location | None = None
    loop: bool = True
    realtime: bool = True
    transport: Literal["tcp", "udp"] = "tcp"
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)  # also: no frame this long -> reconnect
    reconnect_max_s: float = Field(default=30.0, ge=1, le=600)  # backoff cap
    record: bool = True  # continuous recording by stream copy (the policy keeps 30 days)
    segment_seconds: int = Field(default=60, ge=2, le=3600)
    motion: MotionSettings = Field(default_factory=MotionSettings)
    # What the camera sees, for the map and gunshot coverage: compass heading of the view's
    # centre (None: unknown, counts as all round), field of view and useful range.
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    fov_deg: float = Field(default=90.0, gt=0, le=360)
    range_m: float = Field(default=60.0, gt=0, le=5000)
    mobile: bool = False  # an LPR trailer: its position comes from position updates
    lpr: bool = True  # false: video and health only, no plate recognition

    @model_validator(mode="after")
    def _default_name(self) -> CameraSettings:
        if not self.name:
            self.name = self.id
        return self


class HotlistFile(Section):
    """A list managed by a file: loaded at every start, read-only in the console and API."""

    name: str = Field(min_length=1, max_length=100)
    file: Path
    format: HotlistFormat = HotlistFormat.CSV
    kind: str = "custom"
    priority: int = Field(default=50, ge=0, le=100)
    alert_on_historical: bool = False
    two_person_confirm: bool = False


class MatchSettings(Section):
    """How reads are matched against hotlist entries (see ``hotlist.index``)."""

    confusable: bool = True
    # Groups of characters an OCR engine mistakes for each other (cheap substitutions).
    confusion_groups: list[str] = Field(
        default_factory=lambda: ["O0QD", "I1L", "B8", "S5", "Z2", "G6"]
    )
    max_confusable: int = Field(default=3, ge=0, le=10)  # confusable substitutions per match
    # One substitution, missing or extra character beyond the confusables ("fuzzy").
    max_other_edits: int = Field(default=1, ge=0, le=1)
    min_length_for_edits: int = Field(default=5, ge=1, le=12)
    # A fuzzy substitution/extra character must sit on a read character whose OCR confidence is
    # below this (1.0 = any); reads without per-character confidences are not restricted.
    fuzzy_max_char_confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    # Fuzzy edits only against lists of at most this many entries: on a million-plate list a
    # random read has a one-edit neighbour far too often (measured by ``rtcc bench hotlist``).
    fuzzy_max_list_size: int = Field(default=1_000, ge=0)
    # Non-exact matches need a read whose mean character confidence reaches this (garbage reads
    # such as "11111" at 0.15 otherwise match by look-alikes).
    inexact_min_read_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    # Also accept a missing or extra character as the fuzzy edit (costly in false hits on big
    # lists: a random 7-character read has many one-indel neighbours among a million plates).
    fuzzy_indels: bool = False
    # Drop fuzzy candidates when the same read already matches an entry exactly or by confusables.
    fuzzy_only_without_closer: bool = True
    require_same_state: bool = True
    dedup_window_s: float = Field(default=600.0, ge=0)
    # A live pass alerts again once a handled hit's quiet period is over (a new hit).
    realert_after_s: float = Field(default=600.0, ge=0)
    historical: bool = True  # match past reads (within retention) when entries are added
    # Reads with a per-character lattice are scored against entries by log-likelihood ratio
    # (``hotlist.lattice``) instead of the look-alike groups; an inexact hit must clear
    # ln(entries * the read's posterior mass off its top string / target false-hit rate).
    # Off by default: on synthetic flat lattices it lost look-alike recall (README, benchmarks).
    lattice: bool = False
    lattice_false_hits_per_million: float = Field(default=1000.0, gt=0)
    lattice_floor: float = Field(default=1e-4, gt=0, lt=0.1)  # P of a character outside top-k
    lattice_max_paths: int = Field(default=32, ge=1, le=4096)  # strings probed per read
    lattice_region: str = "us"  # background model: formats of this region

    @field_validator("confusion_groups")
    @classmethod
    def _groups_disjoint(cls, groups: list[str]) -> list[str]:
        seen: set[str] = set()
        for group in groups:
            if not group.isalnum() or group.upper() != group:
                raise ValueError(f"group {group!r}: only A-Z and 0-9")
            if seen & set(group):
                raise ValueError(f"group {group!r} shares characters with another group")
            seen |= set(group)
        return groups


class RetentionSettings(Section):
    video_days: int = Field(default=30, ge=1)
    plate_reads_days: int = Field(default=90, ge=1)
    hit_reads_days: int | None = Field(default=None, ge=1)  # None -> same as plate_reads_days
    hits_days: int | None = Field(default=None, ge=1)  # None -> same as plate_reads_days
    camera_status_days: int = Field(default=90, ge=1)
    audit_days: int = Field(default=365, ge=365)  # audit rows are never purged by the job
    interval_s: float = Field(default=3600.0, gt=0)
    first_run_delay_s: float = Field(default=60.0, ge=0)
    max_delete_share: float = Field(default=0.5, gt=0, le=1)
    batch_size: int = Field(default=500, ge=1, le=100_000)
    orphan_grace_s: float = Field(default=3600.0, ge=60)  # younger files without a row: in flight
    enabled: bool = True
    # The longest the law or policy lets this site keep each class (days), e.g. {plate_reads: 90};
    # ``rtcc check-config`` warns when a setting above goes beyond it.
    legal_max_days: dict[Literal["video", "plate_reads", "hit_reads", "hits", "camera_status"],
                         int] = Field(default_factory=dict)

    def days_of(self, data_class: str) -> int:
        """Effective days kept for a class (hit reads and hits default to plate reads)."""
        given = {"video": self.video_days, "plate_reads": self.plate_reads_days,
                 "hit_reads": self.hit_reads_days, "hits": self.hits_days,
                 "camera_status": self.camera_status_days}[data_class]
        return given if given is not None else self.plate_reads_days


class NodeSpec(Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    capacity: float = Field(default=1.0, gt=0, le=10_000)  # share of unpinned cameras
    host: str | None = None  # informational


class ClusterSettings(Section):
    """Camera nodes (``rtcc node --node-id ID``): who may run cameras, heartbeats, leases."""

    nodes: list[NodeSpec] = Field(default_factory=list)
    node_ttl_s: float = Field(default=6.0, gt=0, le=600)  # no heartbeat this long: node gone
    lease_ttl_s: float = Field(default=9.0, gt=0, le=600)
    renew_s: float = Field(default=2.0, gt=0, le=60)  # heartbeat and lease renewal period
    cameras_refresh_s: float = Field(default=5.0, gt=0, le=600)  # camera list re-read

    @model_validator(mode="after")
    def _timings(self) -> ClusterSettings:
        if self.renew_s * 3 > self.lease_ttl_s:
            raise ValueError("lease_ttl_s must be at least three times renew_s")
        ids = [n.id for n in self.nodes]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate node id")
        return self


class BusSettings(Section):
    """The event bus: in-process by default; ``url: nats://host:4222`` spans hosts (JetStream)."""

    url: str | None = Field(default=None, pattern=r"^(nats|tls)://")
    subject_prefix: str = Field(default="rtcc", pattern=r"^[A-Za-z0-9_-]+$")
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    events_max_age_s: float = Field(default=3600.0, gt=0)  # how far back a console can resume
    reads_max_age_s: float = Field(default=7 * 86400.0, gt=0)  # unconsumed reads kept this long
    duplicate_window_s: float = Field(default=86400.0, gt=0)  # Nats-Msg-Id de-duplication
    ingest_ack_wait_s: float = Field(default=30.0, ge=1)  # unacknowledged: redelivered after
    ingest_batch: int = Field(default=200, ge=1, le=10_000)



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


class AuthSettings(Section):
    session_idle_minutes: int = Field(default=30, ge=1)
    lockout_attempts: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=10, ge=1)
    min_password_length: int = Field(default=12, ge=8)
    min_reason_length: int = Field(default=10, ge=1)
    # None: secure cookies in production (test and development speak plain HTTP locally).
    cookie_secure: bool | None = None
    # Password hashing: "standard" argon2id; "fast" (cheap, for test suites) only in test or
    # development. None: fast in test, standard otherwise.
    password_hash: Literal["standard", "fast"] | None = None
    # Login attempts per source address per minute (before any password is checked).
    login_rate_per_minute: int = Field(default=20, ge=1, le=10_000)
    # API tokens expire after this many days unless issued with a shorter life.
    token_days: int = Field(default=90, ge=1, le=3650)
    # First administrator, created once at start when no account exists (then remove these).
    bootstrap_admin: str | None = None
    bootstrap_password: SecretStr | None = None


class AuditSettings(Section):
    """Signed checkpoints of the audit chain head (``rtcc.audit_anchor``)."""

    # Ed25519 private key file (PEM, mode 0600), created on first use; default data_dir.
    signing_key: Path | None = None
    checkpoint_dir: Path | None = None  # default data_dir/audit-checkpoints
    checkpoint_interval_minutes: float = Field(default=15.0, gt=0)
    checkpoints_enabled: bool = True  # scheduled checkpoints in the server (and after retention)


class EvidenceSettings(Section):
    """Evidence exports (``rtcc.evidence``): where packages go, how big, how long held."""

    # Ed25519 private key that signs every manifest (PEM, mode 0600), created on first use;
    # default data_dir/evidence/signing.key. Its public key is served at /api/evidence/public-key.
    signing_key: Path | None = None
    max_bytes: int = Field(default=4 * 1024**3, ge=1)  # refuse larger exports (estimated first)
    hold_days: int = Field(default=3650, ge=1)  # the legal hold placed on every exported source
    pre_s: float = Field(default=30.0, ge=0, le=3600)  # video before a hit or read
    post_s: float = Field(default=30.0, ge=0, le=3600)  # video after it


class TransparencySettings(Section):
    """The yearly surveillance-technology report (EO 78) and the public page."""

    public_page: bool = False  # GET /public/transparency without login: aggregate figures only
    suppress_below: int = Field(default=5, ge=0, le=1000)  # public counts below this: "<N"
    chromium: str = "/usr/bin/chromium"  # renders the PDF (headless --print-to-pdf)
    pdf_timeout_s: float = Field(default=60.0, gt=0, le=600)


def _default_purposes() -> list[str]:
    return ["investigation", "missing_person", "stolen_vehicle", "amber_alert", "warrant",
            "training_audit"]


def _default_prohibited() -> list[str]:
    return ["immigration_enforcement", "reproductive_health_care", "lawful_protest"]


class OversightSettings(Section):
    """Search oversight: purpose codes, the auditor's monthly sample, search volume alerts."""

    purposes: list[str] = Field(default_factory=_default_purposes, min_length=1)
    prohibited_purposes: list[str] = Field(default_factory=_default_prohibited)
    legal_basis_required: list[str] = Field(default_factory=list)  # purposes needing one
    monthly_sample_size: int = Field(default=10, ge=0, le=10_000)
    volume_baseline_days: int = Field(default=30, ge=3, le=365)
    volume_factor: float = Field(default=3.0, gt=1)  # today > factor x baseline ...
    volume_min_searches: int = Field(default=20, ge=1)  # ... and at least this many
    check_interval_minutes: float = Field(default=5.0, gt=0)  # volume check, monthly sample
    enabled: bool = True  # the server draws samples and checks volume in the background
    # The live window: the live feed, the hit list and a read's detail show this much history
    # without a stated purpose; anything older is reached by a purpose-gated search.
    live_window_hours: float = Field(default=24.0, gt=0, le=24 * 31)

    @model_validator(mode="after")
    def _disjoint(self) -> OversightSettings:
        both = set(self.purposes) & set(self.prohibited_purposes)
        if both:
            raise ValueError(f"purposes both allowed and prohibited: {sorted(both)}")
        return self


class HotlistGovernanceSettings(Section):
    """Manual hotlist entries: justification, case number, owner, expiry (hotlist.governance)."""

    min_justification_length: int = Field(default=10, ge=1, le=500)
    default_expiry_days: int = Field(default=30, ge=1, le=365)  # for lists created via the API
    remind_days_before: float = Field(default=3.0, gt=0, le=60)


class Settings(BaseSettings):
    """Everything the product can be told. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="RTCC_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./rtcc-data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    lpr: LprSettings = Field(default_factory=LprSettings)
    cameras: list[CameraSettings] = Field(default_factory=list)
    hotlists: list[HotlistFile] = Field(default_factory=list)
    matching: MatchSettings = Field(default_factory=MatchSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    transparency: TransparencySettings = Field(default_factory=TransparencySettings)
    oversight: OversightSettings = Field(default_factory=OversightSettings)
    hotlist_governance: HotlistGovernanceSettings = Field(
        default_factory=HotlistGovernanceSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    integrations: IntegrationsSettings = Field(default_factory=IntegrationsSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)

    @field_validator("cameras")
    @classmethod
    def _unique_camera_ids(cls, cameras: list[CameraSettings]) -> list[CameraSettings]:
        seen: set[str] = set()
        for cam in cameras:
            if cam.id in seen:
                raise ValueError(f"duplicate camera id {cam.id!r}")
            seen.add(cam.id)
        return cameras

    @model_validator(mode="after")
    def _environment_defaults(self) -> Settings:
        auth = self.auth
        if auth.cookie_secure is None:
            auth.cookie_secure = self.environment == "production"
        if auth.password_hash is None:
            auth.password_hash = "fast" if self.environment == "test" else "standard"
        if auth.password_hash == "fast" and self.environment == "production":
            raise ValueError("auth.password_hash: 'fast' is only allowed in test or development")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; the file arrives as init kwargs.
        return (_EnvSource(settings_cls), init_settings)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'rtcc.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def video_dir(self) -> Path:
        return self.data_dir / "video"

    @property
    def audit_signing_key(self) -> Path:
        return self.audit.signing_key or self.data_dir / "audit-signing.key"

    @property
    def audit_checkpoint_dir(self) -> Path:
        return self.audit.checkpoint_dir or self.data_dir / "audit-checkpoints"


# The variables ``load_settings`` reads (``os.environ`` unless given); never swapped globally.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("rtcc_settings_environ", default=None)


class _EnvSource(EnvSettingsSource):
    """``RTCC_*`` variables from the mapping given to :func:`load_settings`."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        return parse_env_vars(
            os.environ if environ is None else environ,
            self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str,
        )


def _format_errors(err: ValidationError, source: str) -> str:
    lines = [f"{source}: {err.error_count()} invalid setting(s)"]
    for item in err.errors():
        path = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"  {path}: {msg}")
    return "\n".join(lines)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where} invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    return data


def load_settings(
    path: Path | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build settings from an optional YAML file, ``RTCC_*`` variables and explicit overrides.

    Relative paths in the file are resolved against the file's folder.
    Raises :class:`ConfigError` with one line per bad field.
    """
    data: dict[str, Any] = read_yaml(path) if path is not None else {}
    if path is not None:
        data = _resolve_relative(data, path.parent)
    if overrides:
        data = _deep_merge(data, overrides)
    source = str(path) if path is not None else "settings"
    token = _ENVIRON.set(os.environ if environ is None else environ)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
    finally:
        _ENVIRON.reset(token)
    return settings


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_relative(data: dict[str, Any], root: Path) -> dict[str, Any]:
    """Make relative paths in a config file relative to the file's folder (env stays as given)."""

    def fix(value: Any) -> Any:
        relative = isinstance(value, str) and value and not Path(value).is_absolute()
        if relative and "://" not in value:
            return str(root / value)
        return value

    out = dict(data)
    if "data_dir" in out:
        out["data_dir"] = fix(out["data_dir"])
    audit = out.get("audit")
    if isinstance(audit, dict):
        out["audit"] = {k: fix(v) if k in ("signing_key", "checkpoint_dir") else v
                        for k, v in audit.items()}
    lpr = out.get("lpr")
    if isinstance(lpr, dict) and lpr.get("model_dir"):
        out["lpr"] = {**lpr, "model_dir": fix(lpr["model_dir"])}
    for key, field in (("hotlists", "file"), ("cameras", "url")):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [
                {**it, field: fix(it[field])} if isinstance(it, dict) and field in it else it
                for it in items
            ]
    return out
