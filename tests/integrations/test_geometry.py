"""View cones and radius: which cameras cover a spot (pure geometry, no database)."""

from __future__ import annotations

import pytest

from rtcc.integrations.geometry import (
    Point,
    View,
    angle_between,
    bearing_deg,
    bounding_box,
    cone,
    covers,
    destination,
    distance_m,
    sees,
)

SPOT = Point(40.7128, -74.0060)


def at(bearing: float, metres: float) -> Point:
    """A point ``metres`` from the spot along ``bearing``."""
    return destination(SPOT, bearing, metres)


def camera_at(bearing_from_spot: float, metres: float, heading: float | None,
              fov: float = 60.0, range_m: float = 100.0) -> View:
    return View(at(bearing_from_spot, metres), heading, fov, range_m)


def test_distance_and_bearing_known_values() -> None:
    # One degree of latitude is ~111.2 km on the mean sphere.
    assert distance_m(Point(0, 0), Point(1, 0)) == pytest.approx(111_195, rel=1e-3)
    assert distance_m(Point(0, 0), Point(0, 1)) == pytest.approx(111_195, rel=1e-3)
    assert bearing_deg(Point(0, 0), Point(1, 0)) == pytest.approx(0.0)
    assert bearing_deg(Point(0, 0), Point(0, 1)) == pytest.approx(90.0)
    assert bearing_deg(Point(0, 0), Point(-1, 0)) == pytest.approx(180.0)
    assert bearing_deg(Point(0, 0), Point(0, -1)) == pytest.approx(270.0)


def test_destination_round_trip() -> None:
    for bearing in (0, 45, 135, 225, 315):
        p = at(bearing, 250)
        assert distance_m(SPOT, p) == pytest.approx(250, abs=0.01)
        assert bearing_deg(SPOT, p) == pytest.approx(bearing, abs=0.01)


def test_angle_between_wraps_around_north() -> None:
    assert angle_between(350, 10) == pytest.approx(20)
    assert angle_between(10, 350) == pytest.approx(20)
    assert angle_between(0, 180) == pytest.approx(180)
    assert angle_between(90, 90) == 0


def test_camera_facing_the_spot_covers_it() -> None:
    # Camera 50 m south of the spot, looking north at it.
    cam = camera_at(180, 50, heading=0)
    assert sees(cam, SPOT)
    assert covers(cam, SPOT, radius_m=400)


def test_camera_facing_away_does_not_cover() -> None:
    cam = camera_at(180, 50, heading=180)  # south of the spot, looking further south
    assert not sees(cam, SPOT)
    assert not covers(cam, SPOT, radius_m=400)


def test_spot_beyond_the_camera_range_is_not_covered() -> None:
    cam = camera_at(180, 150, heading=0, range_m=100)
    assert not sees(cam, SPOT)
    cam_far_range = camera_at(180, 150, heading=0, range_m=200)
    assert sees(cam_far_range, SPOT)


def test_radius_limits_cameras_that_would_see_the_spot() -> None:
    cam = camera_at(180, 300, heading=0, range_m=1000)
    assert sees(cam, SPOT)
    assert not covers(cam, SPOT, radius_m=200)
    assert covers(cam, SPOT, radius_m=301)


def test_field_of_view_edges() -> None:
    # Camera south of the spot: the spot is due north (bearing 0). A 60 degree view covers
    # headings within 30 degrees of north, from either side of 0.
    assert sees(camera_at(180, 50, heading=29, fov=60), SPOT)
    assert sees(camera_at(180, 50, heading=331, fov=60), SPOT)
    assert not sees(camera_at(180, 50, heading=31, fov=60), SPOT)
    assert not sees(camera_at(180, 50, heading=329, fov=60), SPOT)
    assert sees(camera_at(180, 50, heading=90, fov=200), SPOT)  # wide view


def test_unknown_heading_or_full_circle_sees_all_round() -> None:
    assert sees(camera_at(0, 80, heading=None), SPOT)
    assert sees(camera_at(0, 80, heading=0, fov=360), SPOT)  # north of spot, facing north
    assert not sees(camera_at(0, 120, heading=None), SPOT)  # still limited by range


def test_camera_at_the_spot_sees_it_whatever_its_heading() -> None:
    assert sees(View(SPOT, 90.0, 10.0, 50.0), SPOT)


def test_cone_polygon_spans_the_view() -> None:
    view = View(SPOT, 90.0, 60.0, 100.0)
    poly = cone(view, steps=6)
    assert poly[0] == SPOT and poly[-1] == SPOT
    arc = poly[1:-1]
    assert len(arc) == 7
    assert [round(bearing_deg(SPOT, p)) for p in (arc[0], arc[3], arc[-1])] == [60, 90, 120]
    assert all(distance_m(SPOT, p) == pytest.approx(100, abs=0.01) for p in arc)


def test_bounding_box_contains_the_circle() -> None:
    min_lat, min_lon, max_lat, max_lon = bounding_box(SPOT, 500)
    for bearing in range(0, 360, 15):
        p = at(bearing, 499)
        assert min_lat <= p.lat <= max_lat and min_lon <= p.lon <= max_lon
    assert not (min_lat <= at(0, 520).lat <= max_lat)
