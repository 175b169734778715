"""Closed vocabularies are defined once (``rtcc.vocab``) and served to the console; the console's
event names (``web/static/js/events.js``) are the server's."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from enum import StrEnum
from typing import Any

import pytest

from cameras.health import DOWN_STATES, UP_STATES
from hotlist.formats import FORMATS
from hotlist.hits import REJECT_REASONS, STATUSES
from rtcc.auth.roles import PERMISSIONS, ROLE_PERMISSIONS, ROLES
from rtcc.cli.main import build_parser
from rtcc.events import SCHEMA_VERSION, EventType
from rtcc.vocab import (
    CameraState,
    HitStatus,
    HoldClass,
    HotlistFormat,
    Permission,
    RejectReason,
    Role,
    values,
)
from tests.support.paths import ROOT

EVENTS_JS = ROOT / "web" / "static" / "js" / "events.js"


def js_events() -> tuple[dict[str, str], int]:
    """The ``EVENTS`` object and ``EVENT_SCHEMA_VERSION`` of events.js (parsed, not imported)."""
    text = EVENTS_JS.read_text()
    body = re.search(r"export const EVENTS = Object\.freeze\(\{(.*?)\}\);", text, re.S)
    assert body, "events.js must export EVENTS = Object.freeze({...})"
    names = dict(re.findall(r'^\s*([A-Z_]+):\s*"([a-z_]+)",?\s*$', body.group(1), re.M))
    entries = [line for line in body.group(1).splitlines() if line.strip()]
    assert len(names) == len(entries), f"unparsed lines in EVENTS: {entries}"
    version = re.search(r"export const EVENT_SCHEMA_VERSION = (\d+);", text)
    assert version, "events.js must export EVENT_SCHEMA_VERSION"
    return names, int(version.group(1))


def test_console_event_names_are_the_servers() -> None:
    names, version = js_events()
    assert names == {t.name: t.value for t in EventType}
    assert version == SCHEMA_VERSION


def test_console_spells_event_names_only_in_events_js() -> None:
    """Every ``live.on(...)`` in the console names an ``EVENTS`` member, never a string."""
    spelled = []
    for path in (ROOT / "web" / "static" / "js").rglob("*.js"):
        for m in re.finditer(r"live\.on\(\s*[\"'](\w+)[\"']", path.read_text()):
            spelled.append(f"{path.name}: {m.group(1)}")
    assert spelled == []


def test_meta_serves_every_vocabulary(api_client: Any) -> None:
    resp = api_client("officer").get("/api/meta")
    assert resp.status_code == 200
    meta = resp.json()
    assert meta["event_types"] == [t.value for t in EventType]
    assert meta["event_schema_version"] == SCHEMA_VERSION
    expected: dict[str, type[StrEnum]] = {
        "camera_states": CameraState, "hit_statuses": HitStatus, "reject_reasons": RejectReason,
        "hold_classes": HoldClass, "hotlist_formats": HotlistFormat, "roles": Role,
        "permissions": Permission,
    }
    for key, enum in expected.items():
        assert meta[key] == list(values(enum)), key
    assert meta["role_permissions"]["officer"] == sorted(ROLE_PERMISSIONS["officer"])
    assert meta["confusion_groups"] == ["O0QD", "I1L", "B8", "S5", "Z2", "G6"]


def test_meta_needs_a_signed_in_user(api_client: Any) -> None:
    assert api_client(None).get("/api/meta").status_code == 401


def test_roles_and_permissions_come_from_the_vocabulary() -> None:
    assert frozenset(values(Permission)) == PERMISSIONS
    assert set(ROLES) == set(values(Role))
    granted = frozenset().union(*ROLE_PERMISSIONS.values())
    assert granted <= PERMISSIONS


def test_domain_tuples_and_cli_choices_are_the_enums() -> None:
    assert values(HitStatus) == STATUSES and values(RejectReason) == REJECT_REASONS
    assert values(HotlistFormat) == FORMATS
    assert set(CameraState) > UP_STATES | DOWN_STATES
    choices = _choices(build_parser())
    assert choices["hotlist import --format"] == list(values(HotlistFormat))
    assert choices["retention holds add --class"] == list(values(HoldClass))
    assert choices["users add --role"] == list(values(Role))


def _choices(parser: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"<subcommand path> <option>": choices}`` for every option with choices."""
    out: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.update(_choices(sub, f"{prefix}{name} "))
        elif action.choices is not None and action.option_strings:
            out[f"{prefix}{action.option_strings[0]}"] = list(action.choices)
    return out


def test_console_labels_cover_exactly_the_vocabularies() -> None:
    """The console keeps display labels, keyed by the server's values (no value of its own)."""
    js = ROOT / "web" / "static" / "js"
    detail = (js / "views" / "hitdetail.js").read_text()
    block = re.search(r"export const REJECT_REASONS = \[(.*?)\];", detail, re.S)
    assert block
    assert re.findall(r'\[\s*"([a-z_]+)",', block.group(1)) == list(values(RejectReason))
    store = (js / "hitstore.js").read_text()
    order = re.search(r"const STATUS_ORDER = \{(.*?)\};", store)
    assert order
    assert re.findall(r"(\w+):\s*\d+", order.group(1)) == list(values(HitStatus))


def test_console_checks_the_servers_event_vocabulary(api_client: Any) -> None:
    """events.js, run by Node on the real ``/api/meta`` answer: the page knows every event the
    server sends and ignores frames it does not know (skipped where Node is not installed)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    meta = api_client("officer").get("/api/meta").json()
    script = f"""
      const m = await import({json.dumps(EVENTS_JS.as_uri())});
      const meta = {json.dumps(meta)};
      console.log(JSON.stringify([
        m.mismatch(meta),
        m.mismatch({{...meta, event_schema_version: 2}}),
        m.mismatch({{...meta, event_types: [...meta.event_types, "new_kind"]}}),
        m.isKnown({{type: "hit", schema_version: 1}}),
        m.isKnown({{type: "hit", schema_version: 2}}),
        m.isKnown({{type: "gossip", schema_version: 1}}),
        m.isKnown({{type: "hello"}}),
      ]));
    """
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=30, check=True)
    same, newer, unknown, hit, hit_v2, gossip, hello = json.loads(out.stdout)
    assert same is None
    assert "version 2" in newer and "new_kind" in unknown
    assert (hit, hit_v2, gossip, hello) == (True, False, False, True)
