"""The app factory: ``create_app(services, runtime)`` with everything explicit on ``app.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, WebSocket
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from rtcc import __version__
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from web.assets import STATIC_DIR
from web.errors import install_error_handlers
from web.hardening import docs_urls, install_hardening
from web.hub import Frames, RestrictedLists, stream_events
from web.inputs import refuse_bad_text
from web.routes import (
    audit,
    auth,
    camera_admin,
    cameras,
    gunshots,
    health,
    hits,
    hotlists,
    integrations,
    media,
    meta,
    metrics,
    nodes,
    reads,
    stats,
    users,
    video,
)
from web.routes import evidence as evidence_routes
from web.routes import map as map_routes
from web.routes import oversight as oversight_routes
from web.routes import retention as ret
from web.routes import transparency as transparency_routes
from web.security import CurrentUser, SocketGuard, require


def create_app(services: Services, runtime: Runtime | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                runtime.stop()

    app = FastAPI(title="RTCC console", version=__version__, lifespan=lifespan,
                  dependencies=[Depends(refuse_bad_text)],
                  **docs_urls(services.settings.environment))
    app.state.services = services
    app.state.runtime = runtime
    install_error_handlers(app)
    install_hardening(app, services)
    for module in (health, auth, users, audit, cameras, reads, hits, hotlists, media, ret, stats):
        app.include_router(module.router)
    app.include_router(meta.router)
    app.include_router(camera_admin.router)
    app.include_router(nodes.router)
    app.include_router(metrics.router)
    app.include_router(integrations.router)
    app.include_router(gunshots.router)
    app.include_router(map_routes.router)
    app.include_router(evidence_routes.router)
    app.include_router(transparency_routes.router)
    app.include_router(oversight_routes.router)
    app.include_router(video.router)

    restricted = RestrictedLists.of(services.sessions, services.clock.monotonic)
    frames = Frames()  # an event's text made once for all this instance's consoles

    @app.websocket("/ws/events", dependencies=[Depends(require("self"))])
    async def events(websocket: WebSocket, user: CurrentUser, batch: bool = False) -> None:
        await stream_events(websocket, services.bus, principal=user, restricted=restricted,
                            guard=SocketGuard(websocket, user), frames=frames, batch=batch)

    @app.get("/", include_in_schema=False, dependencies=[Depends(require("public"))])
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
