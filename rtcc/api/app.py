"""The app factory: ``create_app(services, runtime)`` with everything explicit on ``app.state``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from rtcc import __version__
from rtcc.api.errors import install_error_handlers
from rtcc.api.routes import cameras, health, hits, media, reads
from rtcc.runtime.runtime import Runtime
from rtcc.runtime.services import Services
from web.assets import STATIC_DIR
from web.hub import stream_events


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

    app = FastAPI(title="RTCC console", version=__version__, lifespan=lifespan)
    app.state.services = services
    app.state.runtime = runtime
    install_error_handlers(app)
    for module in (health, cameras, reads, hits, media):
        app.include_router(module.router)

    @app.websocket("/ws/events")
    async def events(websocket: WebSocket) -> None:
        await stream_events(websocket, services.bus)

    @app.get("/", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
