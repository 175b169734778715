"""``GET /api/meta``: every closed vocabulary, so the console never hard-codes one."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rtcc import __version__
from rtcc.auth.roles import ROLE_PERMISSIONS
from rtcc.events import SCHEMA_VERSION, EventType
from rtcc.schemas.system import MetaOut
from rtcc.vocab import (
    CameraState,
    HitAction,
    HitStatus,
    HoldClass,
    HotlistFormat,
    HotlistKind,
    MatchType,
    Permission,
    ReadStatus,
    RejectReason,
    Role,
)
from web.deps import ServicesDep
from web.security import require

router = APIRouter(tags=["meta"])


@router.get("/api/meta", dependencies=[Depends(require("self"))], response_model=MetaOut)
def meta(services: ServicesDep) -> MetaOut:
    return MetaOut(
        version=__version__,
        event_types=[t.value for t in EventType],
        event_schema_version=SCHEMA_VERSION,
        camera_states=list(CameraState),
        read_statuses=list(ReadStatus),
        hit_statuses=list(HitStatus),
        hit_actions=list(HitAction),
        reject_reasons=list(RejectReason),
        match_types=list(MatchType),
        hold_classes=list(HoldClass),
        hotlist_formats=list(HotlistFormat),
        hotlist_kinds=list(HotlistKind),
        roles=list(Role),
        permissions=list(Permission),
        role_permissions={
            Role(role): sorted(Permission(p) for p in perms)
            for role, perms in ROLE_PERMISSIONS.items()
        },
        confusion_groups=list(services.settings.matching.confusion_groups),
    )
