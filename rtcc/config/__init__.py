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
    Field,
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

from rtcc.config.cluster import BusSettings, ClusterSettings, NodeSpec
from rtcc.config.governance import (
    AuditSettings,
    AuthSettings,
    EvidenceSettings,
    HotlistGovernanceSettings,
    OversightSettings,
    TransparencySettings,
)
from rtcc.config.integrations import (
    GunshotSettings,
    IntegrationsSettings,
    MqttSettings,
    OutboundDestination,
    OutboundEventType,
    SignedSource,
    WebhookSettings,
)
from rtcc.config.sections import (
    CameraSettings,
    DatabaseSettings,
    HotlistFile,
    Location,
    LprSettings,
    MatchSettings,
    MotionSettings,
    RetentionSettings,
    Section,
    ServerSettings,
    StorageSettings,
)
from rtcc.errors import ConfigError

__all__ = [
    "Section",
    "DatabaseSettings",
    "ServerSettings",
    "LprSettings",
    "Location",
    "MotionSettings",
    "CameraSettings",
    "HotlistFile",
    "MatchSettings",
    "RetentionSettings",
    "StorageSettings",
    "NodeSpec",
    "ClusterSettings",
    "BusSettings",
    "SignedSource",
    "GunshotSettings",
    "OutboundEventType",
    "OutboundDestination",
    "WebhookSettings",
    "MqttSettings",
    "IntegrationsSettings",
    "AuthSettings",
    "AuditSettings",
    "EvidenceSettings",
    "TransparencySettings",
    "OversightSettings",
    "HotlistGovernanceSettings",
]


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
    storage: StorageSettings = Field(default_factory=StorageSettings)

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
