"""The visibility policy on its own: who sees what, and failing closed (the table of users
against every route is ``tests/web/test_visibility.py``)."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from rtcc.auth.principal import Principal
from rtcc.auth.roles import permissions_of
from rtcc.auth.visibility import NOTHING, require_media, scope_of, sees_event
from rtcc.errors import NotFoundError


def _principal(*roles: str, cameras: tuple[str, ...] | None = None,
               hotlists: tuple[int, ...] | None = None) -> Principal:
    return Principal(user_id=1, username="u", roles=roles, cameras=cameras, hotlists=hotlists,
                     permissions=permissions_of(roles))


def test_the_policy_fails_closed() -> None:
    assert scope_of(None) == NOTHING
    assert scope_of(_principal()) == NOTHING
    assert scope_of(_principal("detective", "ghost")) == NOTHING
    detective = scope_of(_principal("detective"))
    assert detective.sees_camera("anything") and not detective.sees_camera(None)
    assert not detective.sees_list(None, restricted=False)  # a list that is gone
    assert scope_of(_principal("supervisor")).sees_list(None, restricted=True)
    with pytest.raises(NotFoundError):
        require_media(detective, PurePosixPath("stray/cam-a.jpg"))
    require_media(detective, PurePosixPath("reads/cam-a/2026-03-01/t1-snap.jpg"))
    officer = scope_of(_principal("officer", cameras=("cam-a",)))
    with pytest.raises(NotFoundError):
        require_media(officer, PurePosixPath("reads/cam-b/2026-03-01/t1-snap.jpg"))


def test_assignments_and_restricted_lists() -> None:
    officer = scope_of(_principal("officer", cameras=("cam-a",), hotlists=(1,)))
    assert officer.sees_camera("cam-a") and not officer.sees_camera("cam-b")
    assert officer.sees_list(1, restricted=False) and not officer.sees_list(2, restricted=False)
    unassigned = scope_of(_principal("officer"))
    assert unassigned.sees_camera("cam-b") and unassigned.sees_list(2, restricted=False)
    for role in ("officer", "detective", "admin", "auditor"):
        assert not scope_of(_principal(role)).sees_list(3, restricted=True), role
        assert scope_of(_principal(role, hotlists=(3,))).sees_list(3, restricted=True), role
    # A camera assignment limits officers only; a wider role sees every camera.
    assert scope_of(_principal("detective", cameras=("cam-a",))).sees_camera("cam-b")
    assert scope_of(_principal("officer", "detective", cameras=("cam-a",))).sees_camera("cam-b")
    assert scope_of(_principal("supervisor")).sees_list(3, restricted=True)


def test_system_alerts_go_to_every_signed_in_role_and_nobody_else() -> None:
    alert = {"type": "system_alert", "camera_id": None, "hotlist_id": None}
    for role in ("officer", "detective", "supervisor", "admin", "auditor"):
        assert sees_event(scope_of(_principal(role, cameras=("cam-a",))), alert, ()), role
    assert not sees_event(scope_of(None), alert, ())
    assert not sees_event(scope_of(_principal("ghost")), alert, ())
