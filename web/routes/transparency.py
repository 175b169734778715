"""The EO 78 transparency report (auditors, supervisors) and the public page (off by default)."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from rtcc import audit
from rtcc.runtime.services import Services
from rtcc.schemas.common import file_response
from rtcc.schemas.transparency import (
    EnteredIn,
    EntryVersionOut,
    EntryVersionPage,
    PublicTransparencyOut,
    SignoffIn,
    SignoffOut,
    Technology,
    TransparencyReportOut,
)
from rtcc.transparency import entries
from rtcc.transparency import report as transparency
from rtcc.transparency.pdf import html_to_pdf
from rtcc.transparency.public import public_figures, render_public
from rtcc.transparency.render import REPORT_CSS, render_html
from web.deps import ServicesDep, SessionDep
from web.hardening import style_hash_csp
from web.security import CurrentUser, require

router = APIRouter(tags=["transparency"])

Year = Annotated[int, Path(ge=entries.FIRST_YEAR, le=entries.LAST_YEAR)]
Public = Annotated[bool, Query(description="counts below the threshold suppressed")]
HTML_RESPONSE = file_response("text/html", "the report as one HTML page", binary=False)
PDF_RESPONSE = file_response("application/pdf", "the report as PDF")
PUBLIC_CACHE_S = 60.0  # the open page is computed at most once a minute


@router.get("/api/transparency/{year}", response_model=TransparencyReportOut,
            dependencies=[Depends(require("transparency:view"))])
def get_report(
    year: Year, services: ServicesDep, session: SessionDep, public: Public = False
) -> TransparencyReportOut:
    report = transparency.build(session, year=year, settings=services.settings,
                                now=services.clock.now(), public=public)
    return TransparencyReportOut.model_validate(report)


def _export(services: Services, session: Any, user: Any, year: int, public: bool,
            fmt: str) -> str:
    now = services.clock.now()
    report = transparency.build(session, year=year, settings=services.settings, now=now,
                                public=public)
    audit.record(session, now=now, actor=user.actor, action="transparency.report",
                 target=f"transparency:{year}",
                 details={"format": fmt, "public": public,
                          "figures_digest": report["figures_digest"]})
    session.commit()
    return render_html(report)


@router.get("/api/transparency/{year}/report.html", response_class=HTMLResponse,
            responses=HTML_RESPONSE, dependencies=[Depends(require("transparency:view"))])
def report_html(
    year: Year, user: CurrentUser, services: ServicesDep, session: SessionDep,
    public: Public = False,
) -> HTMLResponse:
    # The report is one standalone page: its own <style> block is allowed by hash, nothing else.
    return HTMLResponse(_export(services, session, user, year, public, "html"),
                        headers={"Content-Security-Policy": style_hash_csp(REPORT_CSS)})


@router.get("/api/transparency/{year}/report.pdf", response_class=Response,
            responses=PDF_RESPONSE, dependencies=[Depends(require("transparency:view"))])
def report_pdf(
    year: Year, user: CurrentUser, services: ServicesDep, session: SessionDep,
    public: Public = False,
) -> Response:
    html = _export(services, session, user, year, public, "pdf")
    t = services.settings.transparency
    pdf = html_to_pdf(html, chromium=t.chromium, timeout_s=t.pdf_timeout_s)
    name = f"transparency-{year}{'-public' if public else ''}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _version(entry: Any) -> EntryVersionOut:
    return EntryVersionOut(year=entry.year, technology=entry.technology, version=entry.version,
                           fields=entry.fields, entered_by=entry.entered_by,
                           entered_at=entry.entered_at.isoformat())


@router.get("/api/transparency/{year}/entries/{technology}", response_model=EntryVersionPage,
            dependencies=[Depends(require("transparency:view"))])
def list_versions(year: Year, technology: Technology, session: SessionDep) -> EntryVersionPage:
    items = [_version(e) for e in entries.versions(session, year=year, technology=technology)]
    return EntryVersionPage(items=items, count=len(items))


@router.post("/api/transparency/{year}/entries/{technology}", response_model=EntryVersionOut,
             dependencies=[Depends(require("transparency:edit"))])
def save_version(
    year: Year, technology: Technology, body: EnteredIn, user: CurrentUser,
    services: ServicesDep, session: SessionDep,
) -> EntryVersionOut:
    entry = entries.enter(session, year=year, technology=technology,
                          fields=body.model_dump(), actor=user.actor, now=services.clock.now())
    session.commit()
    return _version(entry)


@router.post("/api/transparency/{year}/signoff", response_model=SignoffOut,
             dependencies=[Depends(require("transparency:edit"))])
def sign_off(
    year: Year, body: SignoffIn, user: CurrentUser, services: ServicesDep, session: SessionDep,
) -> SignoffOut:
    now = services.clock.now()
    report = transparency.build(session, year=year, settings=services.settings, now=now)
    entries.sign_off(session, year=year, report=report, statement=body.statement,
                     actor=user.actor, now=now)
    session.commit()
    signed = transparency.build(session, year=year, settings=services.settings, now=now)
    return SignoffOut.model_validate(signed["signoff"])


class _PublicCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at = -1e18
        self.data: dict[str, Any] | None = None

    def get(self, services: Services, session: Any) -> dict[str, Any]:
        if not services.settings.transparency.public_page:
            raise HTTPException(status_code=404, detail="Not Found")
        with self.lock:
            mono = services.clock.monotonic()
            if self.data is None or mono - self.at >= PUBLIC_CACHE_S:
                self.data = public_figures(session, settings=services.settings,
                                           now=services.clock.now())
                self.at = mono
            return self.data


def _public(request: Request) -> _PublicCache:
    """One cache per app (kept on ``app.state``)."""
    state = request.app.state
    cache = getattr(state, "transparency_public", None)
    if not isinstance(cache, _PublicCache):
        cache = state.transparency_public = _PublicCache()
    return cache


PublicCache = Annotated[_PublicCache, Depends(_public)]


@router.get("/api/public/transparency", response_model=PublicTransparencyOut,
            dependencies=[Depends(require("public"))])
def public_json(
    cache: PublicCache, services: ServicesDep, session: SessionDep
) -> PublicTransparencyOut:
    return PublicTransparencyOut.model_validate(cache.get(services, session))


@router.get("/public/transparency", response_class=HTMLResponse, responses=HTML_RESPONSE,
            dependencies=[Depends(require("public"))])
def public_page(cache: PublicCache, services: ServicesDep, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(render_public(cache.get(services, session),
                                      stylesheet="/static/transparency-public.css"))
