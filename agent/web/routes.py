"""The web visitors' routes: the widget page, its token endpoint, QR codes, static files.

- ``POST /v1/web/sessions`` ``{"tenant", "campaign"}``: a room for the campaign, the agent
  dispatched to it and a visitor token (201); 404 for an unknown tenant or campaign, 429
  past ``FRONTDESK_WEB_RATE_LIMIT`` per client address, 503 when LiveKit is down.
- ``GET /w/{tenant}/{campaign}``: the widget page (``?embed=1``: the compact layout that
  ``/web/embed.js`` frames on a business's own site).
- ``GET /w/{tenant}/{campaign}/qr.svg`` and ``qr.png``: the page's address as a QR code.
- ``GET /web/embed.js`` and ``/web/static/<file>``: the browser code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ..control import npm
from ..control.deps import LiveKitDep, SettingsDep
from ..control.errors import ErrorBody
from ..errors import RequestError
from ..store.engine import Store
from ..tenants import TenantRegistry
from . import pages
from .qr import MEDIA_TYPES, QrKind, qr_code, widget_url
from .ratelimit import ClientRateLimit
from .sessions import SLUG, WebSession, WebSessionRequest, find_campaign, open_session


@dataclass
class WebServices:
    registry: TenantRegistry
    store: Store
    sessions_limit: ClientRateLimit


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    app.state.web = WebServices(
        registry=TenantRegistry(settings.tenants_dir),
        store=app.state.store,  # the app's, opened by its lifespan
        sessions_limit=ClientRateLimit(settings.web_rate_limit, scope="web-sessions"),
    )
    yield


def _services(request: Request) -> WebServices:
    services = request.app.state.web
    assert isinstance(services, WebServices)
    return services


Services = Annotated[WebServices, Depends(_services)]
TenantId = Annotated[str, Path(pattern=SLUG, description="Tenant id")]
CampaignId = Annotated[str, Path(pattern=SLUG, description="Campaign id")]
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (404, 422, 429, 503)
}

router = APIRouter(tags=["web visitors"], lifespan=lifespan)


@router.post(
    "/v1/web/sessions",
    status_code=201,
    response_model=WebSession,
    responses=ERRORS,
    summary="Open a web visitor's call: room, agent dispatch and a microphone-only token",
)
async def create_session(
    body: WebSessionRequest,
    request: Request,
    settings: SettingsDep,
    lkapi: LiveKitDep,
    web: Services,
) -> WebSession:
    await web.sessions_limit.hit(request.client.host if request.client else "unknown")
    return await open_session(settings, lkapi, web.registry, web.store, body)


@router.get(
    "/w/{tenant}/{campaign}",
    response_class=HTMLResponse,
    responses={404: {"description": "No such tenant or campaign (an HTML page)"}},
    summary="The call widget of a campaign",
)
async def widget_page(
    tenant: TenantId,
    campaign: CampaignId,
    settings: SettingsDep,
    web: Services,
    embed: Annotated[bool, Query(description="Compact layout for an iframe")] = False,
) -> HTMLResponse:
    headers = {"Content-Security-Policy": pages.content_security_policy(settings)}
    try:
        found = await asyncio.to_thread(find_campaign, web.registry, tenant, campaign)
    except RequestError as e:
        page = pages.render("unavailable.html", message=str(e))
        return HTMLResponse(page, status_code=e.status, headers=headers)
    if not npm.LIVEKIT_CLIENT.installed():
        page = pages.render("unavailable.html", message=npm.LIVEKIT_CLIENT.missing_message())
        return HTMLResponse(page, status_code=503, headers=headers)
    config = {
        "tenant": found.tenant.id,
        "campaign": found.campaign,
        "business": found.tenant.name,
        "sessionUrl": "/v1/web/sessions",
    }
    page = pages.render(
        "widget.html",
        business=found.tenant.name,
        embed=embed,
        config=config,
    )
    return HTMLResponse(page, headers=headers)


@router.get(
    "/w/{tenant}/{campaign}/qr.{kind}",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}, "image/png": {}}},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
    summary="The campaign's widget address as a QR code (SVG or PNG)",
)
async def campaign_qr(
    tenant: TenantId, campaign: CampaignId, kind: QrKind, settings: SettingsDep, web: Services
) -> Response:
    await asyncio.to_thread(find_campaign, web.registry, tenant, campaign)
    image = qr_code(widget_url(settings, tenant, campaign), kind)
    return Response(image, media_type=MEDIA_TYPES[kind])


@router.get("/web/embed.js", include_in_schema=False)
async def embed_script() -> FileResponse:
    return _static("embed.js")


@router.get("/web/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    return _static(name)


def _static(name: str) -> FileResponse:
    path = pages.static_files().get(name)
    if path is None:
        raise RequestError(f"no file {name!r} here", status=404, field="name")
    media = "text/javascript" if path.suffix in (".js", ".mjs") else None
    return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})
