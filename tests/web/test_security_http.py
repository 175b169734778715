"""Issue 14, HTTP surface: body caps, security headers, docs behind sign-in, health for
anonymous callers, CSV formula injection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rtcc.csvsafe import csv_text, safe_cell
from rtcc.runtime.services import build_services
from tests.support.paths import ROOT
from web.app import create_app

MIB = 1024 * 1024


def test_an_oversized_json_body_is_refused_before_it_is_read(api_client: Any) -> None:
    anon = api_client(None)
    big = b'{"username": "a", "password": "' + b"x" * (2 * MIB) + b'"}'
    r = anon.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"username": "a", "password": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    r = anon.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    ok = anon.post("/api/auth/login", json={"username": "a", "password": "b"})
    assert ok.status_code == 401  # small bodies go through


def test_uploads_get_the_configured_upload_limit(
    make_settings: Any, tmp_path: Path
) -> None:
    services = build_services(make_settings(
        database={"url": f"sqlite:///{tmp_path / 'u.db'}"},
        server={"max_upload_bytes": 64 * 1024, "max_body_bytes": 2048}))
    try:
        client = TestClient(create_app(services))
        small = client.post("/api/hotlists/import", files={"file": ("l.csv", b"plate\nAB1\n")},
                            data={"name": "x"})
        assert small.status_code == 401  # under the cap: reaches the route (not signed in)
        big = client.post("/api/hotlists/import", files={"file": ("l.csv", b"A" * 100_000)},
                          data={"name": "x"})
        assert big.status_code == 413
        login = client.post("/api/auth/login", json={"username": "u", "password": "p" * 3000})
        assert login.status_code == 413
    finally:
        services.engine.dispose()


def test_security_headers_on_the_console_and_the_api(api_client: Any) -> None:
    anon = api_client(None)
    page = anon.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api_client("detective").get("/api/auth/me").headers["cache-control"] == "no-store"
    assert "no-store" not in (anon.get("/static/style.css").headers.get("cache-control") or "")


def test_the_console_page_has_no_inline_script() -> None:
    static = ROOT / "web" / "static"
    for page in static.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
            assert not tag.strip(), f"{page}: inline script"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{page}: inline event handler"


def test_docs_need_a_sign_in_outside_development(api_client: Any, make_settings: Any,
                                                 tmp_path: Path) -> None:
    anon = api_client(None)
    assert anon.get("/openapi.json").status_code == 401
    assert anon.get("/docs").status_code == 401
    auditor = api_client("auditor")
    assert auditor.get("/openapi.json").json()["info"]["title"] == "RTCC console"
    assert auditor.get("/docs").status_code == 200
    dev = build_services(make_settings(environment="development",
                                       database={"url": f"sqlite:///{tmp_path / 'd.db'}"}))
    try:
        assert TestClient(create_app(dev)).get("/openapi.json").status_code == 200
    finally:
        dev.engine.dispose()


def test_health_tells_anonymous_callers_only_up_or_down(api_client: Any) -> None:
    anon = api_client(None).get("/api/health").json()
    assert anon["status"] == "ok"
    assert {k for k, v in anon.items() if v is not None} == {"status"}
    signed = api_client("officer").get("/api/health").json()
    assert signed["version"] and signed["database"] and signed["cameras"] is not None


@pytest.mark.parametrize(
    "value", ["=HYPERLINK(\"http://evil\",\"x\")", "=1+1", "+cmd|' /C calc'!A0", "-2+3",
              "@SUM(A1)", "\tx", "\rx"],
)
def test_formula_cells_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value
    (row,) = list(csv.reader(io.StringIO(csv_text(["v"], [[value]]))))[1:]
    assert row[0].startswith("'")


def test_numbers_and_plain_text_are_untouched() -> None:
    assert safe_cell(-74.006) == -74.006 and safe_cell("AB12CDE") == "AB12CDE"
    assert safe_cell(None) == ""


def test_the_audit_export_neutralises_a_formula_username(api_client: Any) -> None:
    anon = api_client(None)
    evil = '=HYPERLINK("http://evil.example","click")'
    assert anon.post("/api/auth/login", json={"username": evil, "password": "x"}
                     ).status_code == 401
    export = api_client("auditor").get("/api/audit/export.csv", params={"action": "auth"})
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    cells = [c for row in rows for c in row.values()]
    assert evil not in cells and "'" + evil in cells
    logins = [r for r in rows if r["action"] == "auth.login" and r["outcome"] == "success"]
    assert logins and all(r["credential"].startswith("session:") for r in logins)
    assert export.headers["cache-control"] == "no-store"


def test_every_csv_export_uses_the_one_writer() -> None:
    """No module writes CSV itself: a new export goes through ``rtcc.csvsafe``."""
    offenders = []
    for package in ("web", "rtcc", "retention", "hotlist"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "csvsafe.py":
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"csv\.(writer|DictWriter)\(", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


