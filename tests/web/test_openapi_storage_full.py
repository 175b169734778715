"""The 507 ``storage_full`` answer (a full disk, ``web.errors``) is in the OpenAPI document on
every operation a full disk can refuse — every change, and every operation reaching the
database or the data folder (looks at personal data and searches are audited first) — with the
error body it really has, and not on those that reach neither (metrics, live muxer figures)."""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from rtcc.errors import StorageFullError
from web.errors import STORAGE_FULL

WRITING = {"post", "put", "patch", "delete"}


def _spec(api_client: Any) -> dict[str, Any]:
    resp = api_client("auditor").get("/openapi.json")
    assert resp.status_code == 200
    return dict(resp.json())


def _with_507(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "507" in op.get("responses", {})
    }


def test_every_writing_operation_lists_507_storage_full(api_client: Any) -> None:
    spec = _spec(api_client)
    listed = _with_507(spec)
    writing = {(m, p) for p, ops in spec["paths"].items() for m in ops if m in WRITING}
    assert len(writing) >= 30 and writing <= listed, sorted(writing - listed)[:5]
    # Looks at personal data and searches are audited first; an image may be copied here.
    gets = [
        ("get", "/api/reads"),
        ("get", "/api/hits/{hit_id}"),
        ("get", "/media/{path}"),
        ("get", "/api/evidence/{export_id}/download"),
    ]
    for op in gets:
        assert op in listed, op
    # In memory only: no 507 there.
    everything = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    for op in [("get", "/metrics"), ("get", "/api/video/live")]:
        assert op in everything and op not in listed, op
    response = spec["paths"]["/api/auth/login"]["post"]["responses"]["507"]
    assert "storage_full" in response["description"]


def test_the_documented_507_body_is_the_one_sent(api_client: Any) -> None:
    spec = _spec(api_client)
    ref = spec["paths"]["/api/reads"]["get"]["responses"]["507"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/Error"}
    root = {"components": spec["components"], "$ref": "#/components/schemas/Error"}
    validator = jsonschema_rs.validator_for(root)
    body = StorageFullError(STORAGE_FULL).to_dict()  # what the handler answers with
    assert body["error"] == "storage_full" and validator.is_valid(body)
    assert not validator.is_valid({"detail": "no error code"})
