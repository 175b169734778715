"""``/openapi.json`` describes the answers: a response schema for (nearly) every ``/api`` route,
and the schema it publishes validates what the main routes really answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema_rs

from rtcc.db import transaction
from rtcc.models import Camera, PlateRead
from rtcc.runtime.services import Services

MIN_SHARE = 0.95
METHODS = {"get", "post", "put", "patch", "delete"}


def _describes(schema: dict[str, Any], media_type: str) -> bool:
    """Whether ``schema`` says what the body holds (a generic ``object`` or ``{}`` does not)."""
    if not schema:
        return False
    if "$ref" in schema or schema.get("properties"):
        return True
    if schema.get("type") == "array":
        return _describes(schema.get("items") or {}, media_type)
    for key in ("anyOf", "oneOf", "allOf"):
        if any(_describes(s, media_type) for s in schema.get(key, [])):
            return True
    # A file or stream: declared by its media type.
    return schema.get("type") == "string" and media_type != "application/json"


def _success_schemas(operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for code, response in operation.get("responses", {}).items():
        if str(code).startswith("2"):
            for media_type, body in (response.get("content") or {}).items():
                out.append((media_type, body.get("schema") or {}))
    return out


def api_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items() if path.startswith("/api/")
        for method, op in ops.items() if method in METHODS
    ]


def test_share_of_api_routes_with_a_response_schema(api_client: Any) -> None:
    spec = api_client("auditor").get("/openapi.json").json()
    operations = api_operations(spec)
    assert len(operations) >= 40  # the whole API, not a stub
    missing = [
        f"{method} {path}" for method, path, op in operations
        if not any(_describes(schema, media) for media, schema in _success_schemas(op))
    ]
    share = 1 - len(missing) / len(operations)
    print(f"\n/api operations with a response schema: {share:.1%} of {len(operations)}")
    assert share >= MIN_SHARE, f"{share:.1%} described; missing: {missing}"


def test_a_generic_object_does_not_count_as_a_schema() -> None:
    assert not _describes({}, "application/json")
    assert not _describes({"type": "object", "additionalProperties": True}, "application/json")
    assert not _describes({"type": "string"}, "application/json")
    assert _describes({"type": "string", "format": "binary"}, "image/jpeg")
    assert _describes({"type": "array", "items": {"$ref": "#/components/schemas/X"}},
                      "application/json")


def _validator(spec: dict[str, Any], method: str, path: str) -> Any:
    op = spec["paths"][path][method.lower()]
    ((media_type, schema),) = [
        (m, s) for m, s in _success_schemas(op) if m == "application/json"
    ]
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": spec["components"], **schema}
    return jsonschema_rs.validator_for(root)


def _seed(services: Services, api_client: Any) -> dict[str, int]:
    """A camera with a read, a list whose entry matches it (a historical hit), acknowledged."""
    now = services.clock.now()
    with transaction(services.sessions) as session:
        session.add(Camera(id="north", name="North gate", created_at=now, updated_at=now,
                           state="online", state_since_at=now))
        session.flush()
        read = PlateRead(camera_id="north", track_key="t1", plate="ABC1234", confidence=0.97,
                         char_confidences=[0.97] * 7, region="CA", observed_at=now,
                         last_seen_at=now + timedelta(seconds=2), box=[1, 2, 30, 12],
                         snapshot_path="media/reads/north/s.jpg", crop_path=None,
                         created_at=now, updated_at=now)
        session.add(read)
        session.flush()
        read_id = read.id
    supervisor = api_client("supervisor")
    listed = supervisor.post("/api/hotlists", json={"name": "stolen", "kind": "stolen_vehicle"})
    hotlist_id = listed.json()["id"]
    added = supervisor.post(f"/api/hotlists/{hotlist_id}/entries",
                            json={"plate": "ABC1234", "state": "CA", "case_number": "K-1",
                                  "reason": "stolen vehicle report"})
    assert added.json()["historical_hits"] == 1, added.text
    (hit,) = supervisor.get("/api/hits").json()["items"]
    acked = supervisor.post(f"/api/hits/{hit['id']}/acknowledge", json={"text": "on it"})
    assert acked.status_code == 200, acked.text
    return {"read": read_id, "hotlist": hotlist_id, "hit": hit["id"]}


def test_schema_validates_real_answers(services: Services, api_client: Any) -> None:
    ids = _seed(services, api_client)
    supervisor = api_client("supervisor")
    spec = supervisor.get("/openapi.json").json()
    purpose = {"purpose": "investigation", "reason": "checking the schema", "case_number": "OAS-1"}
    calls = [
        ("GET", "/api/hits", "/api/hits", {}),
        ("GET", "/api/hits/{hit_id}", f"/api/hits/{ids['hit']}", {}),
        ("GET", "/api/cameras", "/api/cameras", {}),
        ("GET", "/api/cameras/{camera_id}", "/api/cameras/north", {}),
        ("GET", "/api/reads", "/api/reads", {"plate": "ABC*", **purpose}),
        ("GET", "/api/reads/recent", "/api/reads/recent", {}),
        ("GET", "/api/reads/{read_id}", f"/api/reads/{ids['read']}", {}),
        ("GET", "/api/hotlists", "/api/hotlists", {}),
        ("GET", "/api/hotlists/{hotlist_id}/entries",
         f"/api/hotlists/{ids['hotlist']}/entries", {}),
        ("GET", "/api/auth/me", "/api/auth/me", {}),
        ("GET", "/api/meta", "/api/meta", {}),
        ("GET", "/api/health", "/api/health", {}),
    ]
    for method, template, url, params in calls:
        resp = supervisor.request(method, url, params=params)
        assert resp.status_code == 200, (url, resp.text)
        body = resp.json()
        errors = [str(e) for e in _validator(spec, method, template).iter_errors(body)]
        assert not errors, (url, errors[:3])
    # The detail really carries what the schema promises: history, entry, list and read.
    detail = supervisor.get(f"/api/hits/{ids['hit']}").json()
    assert [h["action"] for h in detail["history"]] == ["acknowledge"]
    assert detail["history"][0]["from"] == "new" and detail["history"][0]["to"] == "acknowledged"
    assert detail["entry"]["plate"] == "ABC1234" and detail["list"]["name"] == "stolen"
    assert detail["read"]["box"] == [1, 2, 30, 12]


def test_schema_rejects_a_wrong_answer(services: Services, api_client: Any) -> None:
    """The validation above can fail: a hit without its status is not a valid answer."""
    ids = _seed(services, api_client)
    client = api_client("supervisor")
    spec = client.get("/openapi.json").json()
    body = client.get(f"/api/hits/{ids['hit']}").json()
    validator = _validator(spec, "GET", "/api/hits/{hit_id}")
    assert validator.is_valid(body)
    assert not validator.is_valid({k: v for k, v in body.items() if k != "status"})
    assert not validator.is_valid({**body, "status": "closed"})  # not a hit status


def test_closed_vocabularies_are_enums_in_the_schema(api_client: Any) -> None:
    """Query parameters, bodies and answers name the same enums (``rtcc.vocab``)."""
    spec = api_client("auditor").get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["HitStatus"]["enum"] == ["new", "acknowledged", "confirmed", "rejected"]
    (status,) = [p for p in spec["paths"]["/api/hits"]["get"]["parameters"]
                 if p["name"] == "status"]
    assert {"$ref": "#/components/schemas/HitStatus"} in status["schema"]["anyOf"]
    assert schemas["RejectBody"]["properties"]["reason"] == {
        "$ref": "#/components/schemas/RejectReason"
    }
    assert schemas["HitOut"]["properties"]["status"] == {"$ref": "#/components/schemas/HitStatus"}


def test_bad_vocabulary_value_is_a_422_naming_the_field(api_client: Any) -> None:
    resp = api_client("supervisor").get("/api/hits", params={"status": "closed"})
    assert resp.status_code == 422
    assert resp.json()["fields"][0]["field"] == "status"
