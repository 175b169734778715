"""One visibility rule, one table: roles x camera/list assignments x a restricted list.

Every user in ``USERS`` states what they should see (cameras and hotlists); the SAME table runs
against every REST listing and CSV export, every detail, action, media file, live frame, stream
and segment, and the websocket, through the real app under uvicorn on SQLite and PostgreSQL,
with reads, hits and camera status coming in through the real ingest (the single writer).
A route that is neither probed here nor listed in ``NOT_SCOPED`` with a reason fails the
enumeration test, so a new route cannot skip the rule.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import select
from websockets.sync.client import ClientConnection, connect

from rtcc.auth.roles import permissions_of
from rtcc.models import Hit
from rtcc.runtime.services import Services
from tests.support.serving import serve
from tests.support.visibility_world import (
    ALL_CAMS,
    ALL_LISTS,
    CAMERAS,
    GUNSHOT,
    JPEG,
    PURPOSE,
    READS,
    UNRESTRICTED,
    Who,
    World,
    ingest,
    setup,
)
from web.app import create_app
from web.security import permission_of

USERS: dict[str, Who] = {
    "officer_a": Who(("officer",), {"cam-a"}, UNRESTRICTED, cameras=["cam-a"]),
    "officer_b_open": Who(("officer",), {"cam-b"}, {"open"}, cameras=["cam-b"], lists=["open"]),
    "officer_secret": Who(("officer",), ALL_CAMS, {"secret"}, lists=["secret"]),
    "officer_unassigned": Who(("officer",), ALL_CAMS, UNRESTRICTED),
    "officer_nothing": Who(("officer",), set(), set(), cameras=[], lists=[]),
    "detective": Who(("detective",), ALL_CAMS, UNRESTRICTED),
    "detective_secret": Who(("detective",), ALL_CAMS, ALL_LISTS, lists=["secret"]),
    "detective_cam_a": Who(("detective",), ALL_CAMS, UNRESTRICTED, cameras=["cam-a"]),
    "supervisor": Who(("supervisor",), ALL_CAMS, ALL_LISTS),
    "admin": Who(("admin",), ALL_CAMS, UNRESTRICTED),
    "auditor": Who(("auditor",), ALL_CAMS, UNRESTRICTED),
    "ghost": Who(("officer", "ghost"), set(), set()),  # an unknown role: nothing at all
}


# --- what each route should answer --------------------------------------------------------


@dataclass(frozen=True)
class Req:
    """One request; ``visible`` None means a listing (200 with ``want`` from ``body``)."""

    url: str
    visible: bool | None = None
    want: Any = None
    body: Callable[[httpx.Response], Any] | None = None
    method: str = "GET"
    json: Any = None
    stream: bool = False


def _ids(resp: httpx.Response) -> set[Any]:
    data = resp.json()
    items = data["items"] if isinstance(data, dict) else data
    return {i.get("id", i.get("camera_id")) for i in items}


def _csv_ids(resp: httpx.Response) -> set[int]:
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(resp.text))}


def _names(resp: httpx.Response) -> set[str]:
    return {i["name"] for i in resp.json()["items"]}


def _gunshot(resp: httpx.Response) -> tuple[set[str], int]:
    """The covering cameras' bookmarks and the count of reads near the alert."""
    body = resp.json()
    return {b["camera_id"] for b in body["bookmarks"]}, body["reads_near"]["count"]


def _today(resp: httpx.Response) -> tuple[int, int]:
    day = resp.json()["days"][-1]
    return day["reads"], day["hits"]


Probe = Callable[[World, Who], list[Req]]
SEARCH = {**PURPOSE, "purpose": "investigation"}  # reads searches also state a purpose code
CONFIRM = {"visual_check": True}


def _hits(world: World, who: Who, tail: str, **kw: Any) -> list[Req]:
    vis = world.visible_hits(who)
    return [Req(f"/api/hits/{h}{tail}", h in vis, **kw) for h in world.hits.values()]


def _hidden_hits(world: World, who: Who, action: str, body: Any) -> list[Req]:
    """Acting on a hit the user may not see: 404, and nothing changes (checked after)."""
    vis = world.visible_hits(who)
    return [Req(f"/api/hits/{h}/{action}", False, method="POST", json=body)
            for h in world.hits.values() if h not in vis]


def _cams(world: World, who: Who, tail: str, **kw: Any) -> list[Req]:
    return [Req(f"/api/cameras/{c}{tail}", c in who.sees_cameras, **kw) for c in CAMERAS]


def _video(who: Who, tail: str, **kw: Any) -> list[Req]:
    return [Req(f"/api/video/{c}{tail}", c in who.sees_cameras, **kw) for c in CAMERAS]


def _lists(world: World, who: Who, tail: str) -> list[Req]:
    return [Req(f"/api/hotlists/{i}{tail}", n in who.sees_lists) for n, i in world.lists.items()]


PROBES: dict[tuple[str, str], Probe] = {
    ("GET", "/api/hits"): lambda w, who: [Req("/api/hits", want=w.visible_hits(who), body=_ids)],
    ("GET", "/api/hits/{hit_id}"): lambda w, who: _hits(w, who, ""),
    ("POST", "/api/hits/{hit_id}/notes"): lambda w, who: _hits(
        w, who, "/notes", method="POST", json={"text": "checked"}),
    ("POST", "/api/hits/{hit_id}/acknowledge"): lambda w, who: _hidden_hits(
        w, who, "acknowledge", {}),
    ("POST", "/api/hits/{hit_id}/confirm"): lambda w, who: _hidden_hits(w, who, "confirm", CONFIRM),
    ("POST", "/api/hits/{hit_id}/reject"): lambda w, who: _hidden_hits(
        w, who, "reject", {"reason": "misread"}),
    ("GET", "/api/reads/recent"): lambda w, who: [
        Req("/api/reads/recent", want=w.visible_reads(who), body=_ids)],
    ("GET", "/api/reads"): lambda w, who: [Req(
        "/api/reads?" + str(httpx.QueryParams(SEARCH)), want=w.visible_reads(who),
        body=_ids)],
    ("GET", "/api/reads/export.csv"): lambda w, who: [Req(
        "/api/reads/export.csv?" + str(httpx.QueryParams(SEARCH)), want=w.visible_reads(who),
        body=_csv_ids)],
    ("GET", "/api/reads/{read_id}"): lambda w, who: [
        Req(f"/api/reads/{r}", r in w.visible_reads(who)) for r in w.reads.values()],
    ("GET", "/media/{path:path}"): lambda w, who: [
        Req(u, READS[k][0] in who.sees_cameras) for k, us in w.media.items() for u in us
    ] + [Req("/media/stray/cam-a.jpg", False)],
    ("GET", "/api/cameras"): lambda w, who: [
        Req("/api/cameras", want=who.sees_cameras, body=_ids)],
    ("GET", "/api/cameras/{camera_id}"): lambda w, who: _cams(w, who, ""),
    ("GET", "/api/cameras/{camera_id}/snapshot.jpg"): lambda w, who: _cams(w, who, "/snapshot.jpg"),
    ("GET", "/api/cameras/{camera_id}/stream.mjpeg"): lambda w, who: _cams(
        w, who, "/stream.mjpeg", stream=True),
    ("GET", "/api/cameras/{camera_id}/segments"): lambda w, who: _cams(w, who, "/segments"),
    ("GET", "/api/cameras/{camera_id}/segments/{segment_id}/video.mp4"): lambda w, who: [
        Req(f"/api/cameras/{c}/segments/{s}/video.mp4", c in who.sees_cameras)
        for c, s in w.segments.items()],
    ("GET", "/api/hotlists"): lambda w, who: [
        Req("/api/hotlists", want=who.sees_lists, body=_names)],
    ("GET", "/api/hotlists/{hotlist_id}"): lambda w, who: _lists(w, who, ""),
    ("GET", "/api/hotlists/{hotlist_id}/entries"): lambda w, who: _lists(w, who, "/entries"),
    ("GET", "/api/gunshots/{source}/{alert_id}"): lambda w, who: [Req(
        GUNSHOT, want=(who.sees_cameras, len(w.visible_reads(who))), body=_gunshot)],
    ("GET", "/api/gunshots/{source}/{alert_id}/reads"): lambda w, who: [Req(
        f"{GUNSHOT}/reads?" + str(httpx.QueryParams(SEARCH)), want=w.visible_reads(who),
        body=_ids)],
    ("GET", "/api/map/cameras"): lambda w, who: [
        Req("/api/map/cameras", want=who.sees_cameras, body=_ids)],
    ("GET", "/api/map/reads"): lambda w, who: [
        Req(f"/api/map/reads?{w.window}", want=w.visible_reads(who), body=_ids)],
    ("GET", "/api/map/hits"): lambda w, who: [
        Req(f"/api/map/hits?{w.window}", want=w.visible_hits(who), body=_ids)],
    ("GET", "/api/cameras/{camera_id}/track"): lambda w, who: _cams(w, who, "/track"),
    ("POST", "/api/evidence"): lambda w, who: [  # only hidden ones: a package is built per call
        Req("/api/evidence", False, method="POST", json={**PURPOSE, "hit_id": h})
        for h in w.hits.values() if h not in w.visible_hits(who)],
    ("GET", "/api/video/{camera_id}/timeline"): lambda w, who: _video(who, "/timeline"),
    ("POST", "/api/video/{camera_id}/view"): lambda w, who: _video(
        who, "/view", method="POST", json={"at": w.now}),
    ("GET", "/api/video/{camera_id}/live.mp4"): lambda w, who: [  # no stream here: hidden only
        r for r in _video(who, "/live.mp4") if not r.visible],
    ("GET", "/api/stats/daily"): lambda w, who: [Req(
        "/api/stats/daily?days=1", want=(len(w.visible_reads(who)), len(w.visible_hits(who))),
        body=_today)],
}
WEBSOCKETS = {"/ws/events"}
# Camera-scoped routes the table cannot drive here, each with where its filter is.
UNPROBED: dict[tuple[str, str], str] = {
    ("GET", "/api/video/live"): "lists running live muxers (none without camera URLs); "
    "filtered by Scope.sees_camera in web/routes/video.py",
}

# An export is a case record of its own; what goes into it is checked when it is made (POST).
_EXPORT = "evidence exports by id (evidence:export); contents checked at POST /api/evidence"
_OVERSIGHT = "search oversight: auditors and supervisors review every user's audited searches"
_PUBLIC = "the transparency report: yearly figures for the public, no camera's data"
_CONFIG = "camera configuration (cameras:manage: admins, who see every camera)"
_MANAGE = "hotlists:manage is for supervisors, who see every list (the checks run anyway)"
NOT_SCOPED: dict[tuple[str, str], str] = {
    ("GET", "/"): "the console page (static)",
    ("GET", "/api/health"): "public liveness: counts of camera states, no camera named",
    ("POST", "/api/auth/login"): "own account", ("POST", "/api/auth/logout"): "own account",
    ("GET", "/api/auth/me"): "own account",
    ("GET", "/api/users"): "accounts (admin)", ("POST", "/api/users"): "accounts (admin)",
    ("PATCH", "/api/users/{username}"): "accounts (admin)",
    ("POST", "/api/users/{username}/password"): "accounts (admin)",
    ("GET", "/api/users/{username}/tokens"): "accounts (admin)",
    ("POST", "/api/users/{username}/tokens"): "accounts (admin)",
    ("DELETE", "/api/tokens/{token_id}"): "accounts (admin)",
    ("GET", "/api/audit"): "the audit trail (auditor): who did what, not camera data",
    ("GET", "/api/audit/export.csv"): "the audit trail (auditor)",
    ("GET", "/api/audit/verify"): "the audit trail (auditor)",
    ("GET", "/api/retention/report"): "compliance figures over all data (auditor)",
    ("GET", "/api/retention/holds"): "legal holds (supervisor, who sees everything)",
    ("POST", "/api/retention/holds"): "legal holds (supervisor)",
    ("GET", "/api/retention/holds/{hold_id}"): "legal holds (supervisor)",
    ("POST", "/api/retention/holds/{hold_id}/release"): "legal holds (supervisor)",
    ("POST", "/api/retention/holds/{hold_id}/extend"): "legal holds (supervisor)",
    ("POST", "/api/retention/run"): "the retention job (admin, supervisor)",
    ("POST", "/api/hotlists"): _MANAGE, ("PATCH", "/api/hotlists/{hotlist_id}"): _MANAGE,
    ("POST", "/api/hotlists/{hotlist_id}/entries"): _MANAGE,
    ("DELETE", "/api/hotlists/entries/{entry_id}"): _MANAGE,
    ("PATCH", "/api/hotlists/entries/{entry_id}"): _MANAGE,
    ("POST", "/api/hotlists/import"): _MANAGE,
    ("GET", "/api/meta"): "the closed vocabularies, no data",
    ("GET", "/api/admin/cameras"): _CONFIG, ("POST", "/api/admin/cameras"): _CONFIG,
    ("PATCH", "/api/admin/cameras/{camera_id}"): _CONFIG,
    ("POST", "/api/admin/cameras/{camera_id}/disable"): _CONFIG,
    ("POST", "/api/admin/cameras/test"): _CONFIG,
    ("POST", "/api/admin/cameras/{camera_id}/test"): _CONFIG,
    ("POST", "/api/integrations/gunshot"): "a signed detector's webhook (no user)",
    ("GET", "/api/gunshots"): "gunshot alerts are places and times, no camera's data",
    ("POST", "/api/gunshots/{source}/{alert_id}/outcome"): "answers the outcome it recorded",
    ("GET", "/metrics"): "operational metrics for a scraper (config:view: admins, auditors)",
    ("GET", "/openapi.json"): "the API description", ("GET", "/docs"): "the API description",
    ("GET", "/api/map/basemap"): "the imported base map (streets), no camera data",
    ("GET", "/api/map/tiles/{z}/{x}/{y}"): "base map tiles",
    ("GET", "/api/nodes"): "camera nodes' heartbeats (cameras:manage: admins see every camera)",
    ("POST", "/api/integrations/trailers/{camera_id}/positions"): "a signed trailer's webhook",
    ("GET", "/api/evidence"): _EXPORT, ("GET", "/api/evidence/{export_id}"): _EXPORT,
    ("GET", "/api/evidence/{export_id}/download"): _EXPORT,
    ("POST", "/api/evidence/{export_id}/cancel"): _EXPORT,
    ("GET", "/api/evidence/public-key"): "the public signing key",
    ("GET", "/api/public/transparency"): _PUBLIC, ("GET", "/public/transparency"): _PUBLIC,
    ("GET", "/api/transparency/{year}"): _PUBLIC,
    ("GET", "/api/transparency/{year}/report.html"): _PUBLIC,
    ("GET", "/api/transparency/{year}/report.pdf"): _PUBLIC,
    ("GET", "/api/transparency/{year}/entries/{technology}"): _PUBLIC,
    ("POST", "/api/transparency/{year}/entries/{technology}"): _PUBLIC,
    ("POST", "/api/transparency/{year}/signoff"): _PUBLIC,
    ("GET", "/api/oversight/purposes"): "the configured purpose codes",
    ("GET", "/api/oversight/expiring-entries"): _MANAGE,
    ("GET", "/api/oversight/reviews"): _OVERSIGHT,
    ("POST", "/api/oversight/reviews/sample"): _OVERSIGHT,
    ("POST", "/api/oversight/reviews/{review_id}"): _OVERSIGHT,
    ("GET", "/api/oversight/alerts"): _OVERSIGHT,
    ("POST", "/api/oversight/alerts/{alert_id}/acknowledge"): _OVERSIGHT,
}


# --- running the table ---------------------------------------------------------------------


def _routes(app: Any) -> dict[tuple[str, str], str]:
    """(method, path) -> declared permission, for every HTTP and websocket route."""
    out: dict[tuple[str, str], str] = {}
    for route in iter_route_contexts(app.routes):
        kind = route.original_route
        if not isinstance(kind, APIRoute | APIWebSocketRoute):
            continue
        stack, perms = list(route.dependant.dependencies), set[str]()
        while stack:
            dep = stack.pop()
            if (perm := permission_of(dep.call)) is not None:
                perms.add(perm)
            stack.extend(dep.dependencies)
        methods = ["WS"] if isinstance(kind, APIWebSocketRoute) else sorted(
            (route.methods or set()) - {"HEAD", "OPTIONS"})
        for method in methods:
            out[(method, str(route.path))] = ",".join(sorted(perms))
    return out


def _status(client: httpx.Client, req: Req) -> tuple[int, httpx.Response | None]:
    if req.stream:
        with client.stream(req.method, req.url) as resp:
            if resp.status_code == 200:
                next(resp.iter_bytes())  # the first frame arrives
            return resp.status_code, None
    resp = client.request(req.method, req.url, json=req.json)
    return resp.status_code, resp


def _run_rest(world: World, perms: dict[tuple[str, str], str], name: str) -> list[str]:
    who, problems = USERS[name], []
    granted = permissions_of(who.roles)
    with world.client(name) as client:
        for key, probe in PROBES.items():
            for req in probe(world, who):
                want = 403 if perms[key] not in granted else (
                    200 if req.visible in (None, True) else 404)
                got, resp = _status(client, req)
                label = f"{name}: {req.method} {req.url}"
                if got != want:
                    problems.append(f"{label} -> {got}, expected {want}")
                elif want == 200 and resp is not None and req.body and req.body(resp) != req.want:
                    problems.append(f"{label} -> {req.body(resp)}, expected {req.want}")
    return problems


def _receive_all(ws: ClientConnection, quiet: float = 1.0) -> set[tuple[str, Any]]:
    """Every event until the socket has been quiet for ``quiet`` seconds."""
    got: set[tuple[str, Any]] = set()
    while True:
        try:
            msg = json.loads(ws.recv(timeout=quiet))
        except TimeoutError:
            return got
        if msg["type"] != "hello":
            got.add((msg["type"], msg.get("id", msg.get("camera_id"))))


def _expected_events(world: World, who: Who) -> set[tuple[str, Any]]:
    granted = permissions_of(who.roles)
    want: set[tuple[str, Any]] = set()
    if "cameras:view" in granted:
        want |= {("camera_status", c) for c in who.sees_cameras}
    if "reads:live" in granted:
        want |= {("read", r) for r in world.visible_reads(who)}
    if "hits:view" in granted:
        want |= {(t, h) for h in world.visible_hits(who) for t in ("hit", "hit_updated")}
    return want


@pytest.fixture
def world(services: Services) -> Iterator[World]:
    app = create_app(services)
    with serve(app) as url:
        built = World(url)
        setup(services, built, USERS)
        yield built


def test_one_rule_for_every_route_and_the_websocket(world: World, services: Services) -> None:
    with contextlib.ExitStack() as stack:
        sockets = {
            name: stack.enter_context(connect(
                world.url.replace("http", "ws", 1) + "/ws/events",
                additional_headers={"Authorization": f"Bearer {world.tokens[name]}"},
            ))
            for name in USERS
        }
        for ws in sockets.values():
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        ingest(services, world)
        with ThreadPoolExecutor(len(sockets)) as pool:
            received = dict(zip(sockets, pool.map(_receive_all, sockets.values()), strict=True))
    problems = [
        f"{name}: websocket got {sorted(map(str, got ^ want))} wrongly (missing or extra)"
        for name, got in received.items()
        if got != (want := _expected_events(world, USERS[name]))
    ]
    assert received["supervisor"], "the websocket delivered nothing at all"
    perms = _routes(create_app(services))
    statuses = _statuses(services)
    with ThreadPoolExecutor(4) as pool:  # users side by side, as a control room would be
        for found in pool.map(lambda name: _run_rest(world, perms, name), USERS):
            problems += found
    assert _statuses(services) == statuses, "an action on a hidden hit changed it"
    assert not problems, "\n".join(problems)


def _statuses(services: Services) -> dict[int, str]:
    with services.sessions() as s:
        return {h.id: h.status for h in s.scalars(select(Hit))}


def test_officer_of_cam_a_never_reaches_cam_b(world: World, services: Services) -> None:
    """The reported case: an officer assigned only to cam-a."""
    ingest(services, world)
    a_hit, b_hit = world.hits["a-open"], world.hits["b-open"]
    with world.client("officer_a") as officer:
        listed = officer.get("/api/hits").json()["items"]
        assert {h["camera_id"] for h in listed} == {"cam-a"}
        assert {h["id"] for h in listed} == {world.hits["a-open"], world.hits["a-other"]}
        assert officer.get(f"/api/hits/{b_hit}").status_code == 404
        for action, body in (("acknowledge", {}), ("confirm", CONFIRM),
                             ("reject", {"reason": "misread"}), ("notes", {"text": "x"})):
            assert officer.post(f"/api/hits/{b_hit}/{action}", json=body).status_code == 404
        assert _statuses(services)[b_hit] == "new"
        assert officer.post(f"/api/hits/{a_hit}/acknowledge", json={}).status_code == 200
        assert _statuses(services)[a_hit] == "acknowledged"
        reads = officer.get("/api/reads/recent").json()["items"]
        assert {r["camera_id"] for r in reads} == {"cam-a"}
        assert [c["camera_id"] for c in officer.get("/api/cameras").json()] == ["cam-a"]
        assert officer.get(world.media["b-open"][0]).status_code == 404
        assert officer.get(world.media["a-open"][0]).content == JPEG
        entries = officer.get(f"/api/hotlists/{world.lists['secret']}/entries")
        assert entries.status_code == 404 and "SECR333" not in entries.text


def test_every_route_has_a_visibility_case(sqlite_services: Services) -> None:
    routes = _routes(create_app(sqlite_services))
    covered = set(PROBES) | {("WS", p) for p in WEBSOCKETS} | set(UNPROBED)
    missing = sorted(set(routes) - covered - set(NOT_SCOPED))
    stale = sorted((covered | set(NOT_SCOPED)) - set(routes))
    assert not missing, f"routes without a visibility case (add to PROBES or NOT_SCOPED): {missing}"
    assert not stale, f"cases for routes that no longer exist: {stale}"
