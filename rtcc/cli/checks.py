"""Checks a settings object must pass before anything starts (``rtcc check-config``, ``serve``).

The settings model already validates types and ranges; these checks look at what a camera worker
or the server would otherwise trip over later: region codes, model folders, camera URLs, mask
polygons, hotlist files, a writable data folder. Each problem names its field. Warnings flag
settings that work but are unsafe in production.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lpr.bundle import detector_file, ocr_files
from lpr.formats import shipped_rules
from rtcc.config import Settings
from rtcc.errors import ConfigError, ModelError

LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})


@dataclass(frozen=True)
class Finding:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _regions(settings: Settings) -> list[Finding]:
    known = shipped_rules()
    return [
        Finding(f"lpr.regions.{i}", f"no plate formats for {code!r}; known: {', '.join(known)}")
        for i, code in enumerate(settings.lpr.regions)
        if code.lower() not in known
    ]


def _models(settings: Settings) -> list[Finding]:
    lpr = settings.lpr
    if lpr.model_dir is None:
        return []  # hub names: fetched (and checked) by fast-alpr on first use
    if not lpr.model_dir.is_dir():
        return [Finding("lpr.model_dir", f"{lpr.model_dir} is not a folder")]
    out: list[Finding] = []
    try:
        detector_file(lpr.model_dir, lpr.detector_model)
    except ModelError as exc:
        out.append(Finding("lpr.detector_model", exc.message))
    ocr = [("lpr.ocr_model", lpr.ocr_model)] + [
        (f"lpr.extra_ocr_models.{i}", name) for i, name in enumerate(lpr.extra_ocr_models)
    ]
    for field, name in ocr:
        try:
            ocr_files(lpr.model_dir, name)
        except ModelError as exc:
            out.append(Finding(field, exc.message))
    return out


def _polygon(field: str, points: list[tuple[int, int]]) -> Finding | None:
    if len(points) < 3:
        return Finding(field, f"a mask polygon needs at least 3 points, got {len(points)}")
    if any(x < 0 or y < 0 for x, y in points):
        return Finding(field, "mask points are frame pixels and cannot be negative")
    if len(set(points)) < 3:
        return Finding(field, "a mask polygon needs 3 distinct points")
    return None


def _masks(settings: Settings) -> list[Finding]:
    found = [_polygon(f"lpr.masks.{i}", m) for i, m in enumerate(settings.lpr.masks)]
    for c, cam in enumerate(settings.cameras):
        found += [
            _polygon(f"cameras.{c}.motion.masks.{i}", m) for i, m in enumerate(cam.motion.masks)
        ]
    return [f for f in found if f is not None]


def camera_url_problem(url: str) -> str | None:
    """Why a camera URL cannot work (None when it can): not a URL, scheme, host or port.

    A file that is missing is not a problem here (the camera shows offline until it appears).
    """
    if "://" not in url or url.startswith("file://"):
        return None if "\x00" not in url else "NUL character in the path"
    try:
        parts = urlsplit(url)
        _ = parts.port  # a non-numeric or out-of-range port raises here
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme.lower() not in LIVE_SCHEMES:
        known = ", ".join(sorted(LIVE_SCHEMES))
        return f"unsupported scheme {parts.scheme!r} (use {known} or a file)"
    if not parts.hostname:
        return "the URL has no host"
    return None


def _cameras(settings: Settings) -> list[Finding]:
    out: list[Finding] = []
    for i, cam in enumerate(settings.cameras):
        if not cam.enabled:
            continue
        for key, url in (("url", cam.url), ("detect_url", cam.detect_url)):
            problem = camera_url_problem(url) if url is not None else None
            if problem is not None:
                out.append(Finding(f"cameras.{i}.{key}", problem))
    return out


def _files(settings: Settings) -> list[Finding]:
    out = [
        Finding(f"hotlists.{i}.file", f"cannot read {hl.file}")
        for i, hl in enumerate(settings.hotlists)
        if not (hl.file.is_file() and os.access(hl.file, os.R_OK))
    ]
    folder = settings.data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        out.append(Finding("data_dir", f"{settings.data_dir} is not a writable folder"))
    return out


def problems(settings: Settings) -> list[Finding]:
    """Everything that would make a worker or the server fail; empty when fine."""
    return [
        *_regions(settings), *_models(settings), *_masks(settings), *_cameras(settings),
        *_files(settings),
    ]


def _missing_videos(settings: Settings) -> list[Finding]:
    out: list[Finding] = []
    for i, cam in enumerate(settings.cameras):
        if cam.enabled and ("://" not in cam.url or cam.url.startswith("file://")):
            path = Path(cam.url.removeprefix("file://"))
            if not path.is_file():
                out.append(Finding(f"cameras.{i}.url", f"video file not found: {path}"))
    return out


def _beyond_legal_limits(settings: Settings) -> list[Finding]:
    retention = settings.retention
    out = []
    for data_class, limit in sorted(retention.legal_max_days.items()):
        kept = retention.days_of(data_class)
        if kept > limit:
            out.append(Finding(f"retention.{data_class}_days",
                               f"keeps {kept} days, beyond the legal limit of {limit}"))
    return out


def warnings(settings: Settings) -> list[Finding]:
    """Settings that work but will not do what is meant, or are unsafe in production."""
    out = _missing_videos(settings) + _beyond_legal_limits(settings)
    if settings.environment != "production":
        return out
    if not settings.auth.cookie_secure:
        out.append(Finding("auth.cookie_secure", "false in production: sessions travel in clear"))
    if settings.auth.bootstrap_password is not None:
        out.append(Finding("auth.bootstrap_password",
                           "set in production: remove it once the first admin exists"))
    if settings.log_level == "DEBUG":
        out.append(Finding("log_level", "DEBUG in production logs plate text"))
    public = settings.server.public_url
    if public is not None and not public.startswith("https://"):
        out.append(Finding("server.public_url", "not https in production"))
    return out


def require_runnable(settings: Settings, source: str) -> None:
    """Raise one :class:`ConfigError` listing every problem (the CLI exits 2 with it)."""
    found = problems(settings)
    if found:
        lines = [f"{source}: {len(found)} setting(s) would fail at run time"]
        lines += [f"  {f}" for f in found]
        raise ConfigError("\n".join(lines))
