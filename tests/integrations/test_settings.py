"""Integration settings: signed sources need real secrets, destinations unique names."""

from __future__ import annotations

from typing import Any

import pytest

from rtcc.config import load_settings
from rtcc.errors import ConfigError


def build(integrations: dict[str, Any]) -> Any:
    return load_settings(None, overrides={"integrations": integrations}, environ={})


def test_defaults_have_no_sources_and_no_destinations() -> None:
    cfg = load_settings(None, environ={}).integrations
    assert cfg.gunshot.sources == {} and cfg.webhooks == [] and cfg.mqtt == []
    assert cfg.max_skew_s == 300 and cfg.gunshot.bookmark_before_s == 120
    assert cfg.gunshot.bookmark_after_s == 300


def test_short_secret_unknown_key_and_duplicate_destination_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"integrations.gunshot.sources.acme.secret"):
        build({"gunshot": {"sources": {"acme": {"secret": "short"}}}})
    with pytest.raises(ConfigError, match="unknown key"):
        build({"gunshot": {"sourcez": {}}})
    hook = {"name": "dispatch", "url": "http://127.0.0.1:9/x", "secret": "s" * 20}
    with pytest.raises(ConfigError, match="used twice: dispatch"):
        build({"webhooks": [hook], "mqtt": [{"name": "dispatch"}]})
    with pytest.raises(ConfigError, match=r"webhooks.0.url"):
        build({"webhooks": [{**hook, "url": "ftp://x"}]})
    with pytest.raises(ConfigError, match=r"mqtt.0.events.0"):
        build({"mqtt": [{"name": "m", "events": ["gossip"]}]})


def test_environment_overrides_a_secret() -> None:
    cfg = load_settings(None, environ={
        "RTCC_INTEGRATIONS__GUNSHOT__SOURCES__ACME__SECRET": "from-the-environment-123"})
    assert cfg.integrations.gunshot.sources["acme"].secret.get_secret_value() == (
        "from-the-environment-123")
