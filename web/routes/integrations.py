"""Signed inbound integrations: gunshot alerts from a detection provider.

``POST /api/integrations/gunshot`` takes the provider's JSON signed with the source's secret
(``rtcc.integrations.signing``): 401 for a missing, unknown or bad signature, a timestamp off by
more than ``integrations.max_skew_s`` or a replayed signature; 422 naming the field for a bad
body; nothing is stored on any error. An accepted alert is published as a ``gunshot`` event.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from rtcc.db import transaction
from rtcc.events import GunshotEvent
from rtcc.integrations.gunshot_service import receive
from rtcc.integrations.signing import Signed
from rtcc.schemas.integrations import GunshotAlertOut
from web.deps import ServicesDep
from web.signed import signed_by

router = APIRouter(tags=["integrations"])

GunshotSigned = Annotated[
    Signed, Depends(signed_by(lambda settings: settings.integrations.gunshot.sources))
]


@router.post("/api/integrations/gunshot", response_model=GunshotAlertOut, status_code=201)
def receive_gunshot(signed: GunshotSigned, services: ServicesDep) -> GunshotAlertOut:
    """Store a new alert or a new version of one; the answer lists the covering cameras."""
    integrations = services.settings.integrations
    with transaction(services.sessions) as session:
        received = receive(
            session, signed=signed, cfg=integrations.gunshot,
            max_skew_s=integrations.max_skew_s, now=services.clock.now(),
        )
    services.bus.publish(GunshotEvent(**received.out.model_dump()))
    return received.out
