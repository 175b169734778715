"""Settings for accountability: sign-in, audit anchoring, evidence, transparency, search oversight
and hotlist governance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    model_validator,
)

from rtcc.config.sections import Section
from rtcc.headless import CHROMIUM


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
    chromium: str = str(CHROMIUM)  # renders the PDF (headless --print-to-pdf)
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
