"""The one settings object: a YAML file overridden by ``RTCC_*`` environment variables.

Nothing here reads the environment at import time; :func:`load_settings` is called by the
entry point and the result is passed down explicitly.
"""

from __future__ import annotations

import os
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
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rtcc.errors import ConfigError


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
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = ""
    url: str = Field(min_length=1)
    enabled: bool = True
    detect_fps: float = Field(default=5.0, gt=0, le=60)
    location: Location | None = None
    loop: bool = True
    realtime: bool = True
    transport: Literal["tcp", "udp"] = "tcp"
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)  # also: no frame this long -> reconnect
    reconnect_max_s: float = Field(default=30.0, ge=1, le=600)  # backoff cap
    record: bool = False
    segment_seconds: int = Field(default=60, ge=2, le=3600)
    motion: MotionSettings = Field(default_factory=MotionSettings)

    @model_validator(mode="after")
    def _default_name(self) -> CameraSettings:
        if not self.name:
            self.name = self.id
        return self


class HotlistFile(Section):
    name: str = Field(min_length=1, max_length=100)
    file: Path
    format: Literal["csv", "delimited", "ncic"] = "csv"
    kind: str = "custom"
    priority: int = Field(default=50, ge=0, le=100)


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
    historical: bool = True  # match past reads (within retention) when entries are added

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


class AuthSettings(Section):
    session_idle_minutes: int = Field(default=30, ge=1)
    lockout_attempts: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=10, ge=1)
    min_password_length: int = Field(default=12, ge=8)
    min_reason_length: int = Field(default=10, ge=1)
    cookie_secure: bool = False
    # First administrator, created once at start when no account exists (then remove these).
    bootstrap_admin: str | None = None
    bootstrap_password: SecretStr | None = None


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

    @field_validator("cameras")
    @classmethod
    def _unique_camera_ids(cls, cameras: list[CameraSettings]) -> list[CameraSettings]:
        seen: set[str] = set()
        for cam in cameras:
            if cam.id in seen:
                raise ValueError(f"duplicate camera id {cam.id!r}")
            seen.add(cam.id)
        return cameras

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
        return (env_settings, init_settings)

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
    env_backup = None
    if environ is not None:
        env_backup = dict(os.environ)
        os.environ.clear()
        os.environ.update(environ)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
    finally:
        if env_backup is not None:
            os.environ.clear()
            os.environ.update(env_backup)
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
