"""``GET /metrics``: Prometheus text format (scrape with an API token holding ``config:view``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from rtcc.runtime.metrics import CONTENT_TYPE, api_registry, render
from web.security import require

router = APIRouter()


@router.get(
    "/metrics",
    dependencies=[Depends(require("config:view"))],
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = api_registry(request.app.state.services, request.app.state.runtime)
        request.app.state.metrics_registry = registry
    return Response(render(registry), media_type=CONTENT_TYPE)
