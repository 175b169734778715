"""Pure geometry on the Earth's surface: distances, bearings and camera view cones.

Spherical Earth (mean radius), which is within 0.5 % of the ellipsoid at city scale. No
antimeridian handling is needed for distances and bearings (they use longitude differences
through trigonometry); bounding boxes assume the area does not cross it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8
AT_THE_SPOT_M = 1.0  # closer than this, a camera's heading no longer matters


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float


@dataclass(frozen=True)
class View:
    """Where a camera is and what it sees: ``heading_deg`` None means all round."""

    position: Point
    heading_deg: float | None
    fov_deg: float
    range_m: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: Point, b: Point) -> float:
    """Initial compass bearing from ``a`` to ``b``: 0 north, 90 east, in [0, 360)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlon = math.radians(b.lon - a.lon)
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360.0


def angle_between(a_deg: float, b_deg: float) -> float:
    """Smallest difference between two compass directions, in [0, 180]."""
    diff = abs(a_deg - b_deg) % 360.0
    return 360.0 - diff if diff > 180.0 else diff


def destination(origin: Point, bearing: float, dist_m: float) -> Point:
    """The point ``dist_m`` from ``origin`` along ``bearing`` (for drawing view cones)."""
    lat1, lon1 = math.radians(origin.lat), math.radians(origin.lon)
    theta, delta = math.radians(bearing), dist_m / EARTH_RADIUS_M
    lat2 = math.asin(
        math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * math.cos(theta)
    )
    lon2 = lon1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(lat1),
        math.cos(delta) - math.sin(lat1) * math.sin(lat2),
    )
    return Point(math.degrees(lat2), (math.degrees(lon2) + 540.0) % 360.0 - 180.0)


def sees(view: View, spot: Point) -> bool:
    """Whether ``spot`` lies inside the camera's view cone (within range and field of view)."""
    dist = distance_m(view.position, spot)
    if dist > view.range_m:
        return False
    if dist < AT_THE_SPOT_M or view.heading_deg is None or view.fov_deg >= 360.0:
        return True
    return angle_between(bearing_deg(view.position, spot), view.heading_deg) <= view.fov_deg / 2


def covers(view: View, spot: Point, radius_m: float) -> bool:
    """A camera covers a spot when it is within ``radius_m`` of it and sees it."""
    return distance_m(view.position, spot) <= radius_m and sees(view, spot)


def cone(view: View, steps: int = 12) -> list[Point]:
    """The view cone as a closed polygon (camera, arc points, camera) for the map."""
    if view.heading_deg is None or view.fov_deg >= 360.0:
        start, span = 0.0, 360.0
    else:
        start, span = view.heading_deg - view.fov_deg / 2, view.fov_deg
    arc = [destination(view.position, start + span * i / steps, view.range_m)
           for i in range(steps + 1)]
    return [view.position, *arc, view.position]


def bounding_box(center: Point, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) enclosing a circle (not across the antimeridian)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(center.lat)), 1e-6)
    dlon = min(180.0, dlat / coslat)
    return (max(-90.0, center.lat - dlat), max(-180.0, center.lon - dlon),
            min(90.0, center.lat + dlat), min(180.0, center.lon + dlon))
