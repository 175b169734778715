"""Signed inbound integrations: gunshot alerts from a detection provider, positions of mobile
cameras (LPR trailers).

``POST /api/integrations/gunshot`` takes the provider's JSON signed with the source's secret
(``rtcc.integrations.signing``): 401 for a missing, unknown or bad signature, a timestamp off by
more than ``integrations.max_skew_s`` or a replayed signature; 422 naming the field for a bad
body; nothing is stored on any error. An accepted alert is published as a ``gunshot`` event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import ValidationError

from rtcc.db import transaction
from rtcc.events import GunshotEvent
from rtcc.integrations.gunshot import invalid_from
from rtcc.integrations.gunshot_service import receive
from rtcc.integrations.signing import Signed, remember
from rtcc.integrations.trailers import PositionIn, record_position
from rtcc.runtime.gunshots import hold_bookmarks
from rtcc.schemas.integrations import GunshotAlertOut, PositionOut
from web.deps import ServicesDep
from web.signed import signed_by

router = APIRouter(tags=["integrations"])

GunshotSigned = Annotated[
    Signed, Depends(signed_by(lambda settings: settings.integrations.gunshot.sources))
]
TrailerSigned = Annotated[
    Signed, Depends(signed_by(lambda settings: settings.integrations.trailer_sources))
]


@router.post("/api/integrations/gunshot", response_model=GunshotAlertOut, status_code=201)
def receive_gunshot(signed: GunshotSigned, services: ServicesDep) -> GunshotAlertOut:
    """Store a new alert or a new version of one; the answer lists the covering cameras."""
    integrations = services.settings.integrations
    with transaction(services.sessions) as session:
        now = services.clock.now()
        received = receive(session, signed=signed, cfg=integrations.gunshot,
                           max_skew_s=integrations.max_skew_s, now=now)
        hold_bookmarks(session, received, cfg=integrations.gunshot, now=now)
    services.bus.publish(GunshotEvent(**received.out.model_dump()))
    return received.out


@router.post("/api/integrations/trailers/{camera_id}/positions", response_model=PositionOut,
             status_code=201)
def trailer_position(
    camera_id: Annotated[str, Path(min_length=1, max_length=64)], signed: TrailerSigned,
    services: ServicesDep,
) -> PositionOut:
    """A mobile camera's position at a time: ``{"latitude", "longitude", "at"}``."""
    try:
        body = PositionIn.model_validate_json(signed.body)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    now = services.clock.now()
    with transaction(services.sessions) as session:
        remember(session, signed, now=now, max_skew_s=services.settings.integrations.max_skew_s)
        row = record_position(session, camera_id=camera_id, lat=body.latitude,
                              lon=body.longitude, at=body.at, now=now)
        out = PositionOut.of(row)
    return out
