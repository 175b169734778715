"""What the cameras saw of a gunshot alert: which cameras cover the spot (view cone and
radius), their recordings bookmarked around the time, and plate reads near the place and time.

Reads near an alert are personal data: callers show only :func:`count_reads_near` until the
user states a purpose and case number, then :func:`reads_near` (an audited search).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from rtcc.config import GunshotSettings
from rtcc.integrations.geometry import Point, View, bounding_box, covers, distance_m
from rtcc.integrations.gunshot import Covering
from rtcc.integrations.trailers import position_at
from rtcc.models import Camera, GunshotAlert, GunshotBookmark, PlateRead


def camera_view(cam: Camera, position: Point | None = None) -> View | None:
    """What ``cam`` sees from ``position`` (default: the camera row's location)."""
    if position is None:
        if cam.lat is None or cam.lon is None:
            return None
        position = Point(cam.lat, cam.lon)
    return View(position, cam.heading_deg, cam.fov_deg, cam.range_m)


def covering_cameras(
    session: Session, *, spot: Point, radius_m: float, at: datetime
) -> list[Covering]:
    """Cameras within ``radius_m`` of ``spot`` whose view cone contains it, nearest first.
    A mobile camera counts from where it was at ``at``."""
    min_lat, min_lon, max_lat, max_lon = bounding_box(spot, radius_m)
    near = and_(Camera.lat.between(min_lat, max_lat), Camera.lon.between(min_lon, max_lon))
    found = []
    for cam in session.scalars(select(Camera).where(or_(near, Camera.mobile.is_(True)))):
        if cam.mobile:
            where = position_at(session, cam.id, at)
            view = camera_view(cam, where) if where is not None else None
        else:
            view = camera_view(cam)
        if view is not None and covers(view, spot, radius_m):
            found.append(Covering(cam.id, cam.name, distance_m(view.position, spot)))
    return sorted(found, key=lambda c: (c.distance_m, c.camera_id))


def bookmark(
    session: Session, *, alert: GunshotAlert, covering: list[Covering], cfg: GunshotSettings,
    now: datetime,
) -> list[GunshotBookmark]:
    """Bookmark each covering camera's recording around the shots (once per camera)."""
    have = set(session.scalars(
        select(GunshotBookmark.camera_id).where(
            GunshotBookmark.source == alert.source, GunshotBookmark.alert_id == alert.alert_id
        )
    ))
    added = []
    for cov in covering:
        if cov.camera_id in have:
            continue
        mark = GunshotBookmark(
            source=alert.source, alert_id=alert.alert_id, camera_id=cov.camera_id,
            distance_m=cov.distance_m,
            start_at=alert.detected_at - timedelta(seconds=cfg.bookmark_before_s),
            end_at=alert.detected_at + timedelta(seconds=cfg.bookmark_after_s), created_at=now,
        )
        session.add(mark)
        added.append(mark)
    session.flush()
    return added


def bookmarks(session: Session, *, source: str, alert_id: str) -> list[GunshotBookmark]:
    return list(session.scalars(
        select(GunshotBookmark)
        .where(GunshotBookmark.source == source, GunshotBookmark.alert_id == alert_id)
        .order_by(GunshotBookmark.distance_m)
    ))


def reads_near(
    session: Session, *, alert: GunshotAlert, cfg: GunshotSettings,
    cameras: tuple[str, ...] | None = None,
) -> list[PlateRead]:
    """Reads within ``reads_radius_m`` and ``reads_window_s`` of the alert, by where the camera
    was at the read (a mobile camera's stored position, else the camera's location)."""
    spot = Point(alert.lat, alert.lon)
    window = timedelta(seconds=cfg.reads_window_s)
    min_lat, min_lon, max_lat, max_lon = bounding_box(spot, cfg.reads_radius_m)
    lat = func.coalesce(PlateRead.lat, Camera.lat)
    lon = func.coalesce(PlateRead.lon, Camera.lon)
    stmt = (
        select(PlateRead, lat, lon)
        .join(Camera, Camera.id == PlateRead.camera_id)
        .where(
            PlateRead.observed_at >= alert.detected_at - window,
            PlateRead.observed_at <= alert.detected_at + window,
            lat.between(min_lat, max_lat), lon.between(min_lon, max_lon),
        )
        .order_by(PlateRead.observed_at, PlateRead.id)
    )
    if cameras is not None:
        stmt = stmt.where(PlateRead.camera_id.in_(cameras))
    return [
        read for read, rlat, rlon in session.execute(stmt)
        if distance_m(spot, Point(rlat, rlon)) <= cfg.reads_radius_m
    ]


def count_reads_near(
    session: Session, *, alert: GunshotAlert, cfg: GunshotSettings,
    cameras: tuple[str, ...] | None = None,
) -> int:
    return len(reads_near(session, alert=alert, cfg=cfg, cameras=cameras))
