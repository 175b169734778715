"""The multi-host example (``rtcc/deploy``): its settings load, its commands parse."""

from __future__ import annotations

import yaml

from rtcc.cli.main import build_parser
from rtcc.config import load_settings
from tests.support.paths import ROOT

DEPLOY = ROOT / "rtcc" / "deploy"


def test_settings_load_and_commands_parse() -> None:
    settings = load_settings(DEPLOY / "rtcc.yaml", environ={})
    assert settings.bus.url == "nats://nats:4222"
    assert [n.id for n in settings.cluster.nodes] == ["node-1", "node-2", "trailer-7"]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"db", "nats", "api", "node-1", "node-2"}
    parser = build_parser()
    for name in ("api", "node-1", "node-2"):
        command = compose["services"][name]["command"]
        assert command[0] == "rtcc"
        args = parser.parse_args(command[1:])
        assert args.command in ("serve", "node")
        if args.command == "node":
            assert args.node_id in {n.id for n in settings.cluster.nodes}
        else:
            assert args.role == "api"
