"""``GET /console``: the handoff console page for a tenant's staff (its script signs in
with ``/v1/auth/login``; the page itself holds nothing private)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..web import pages
from . import npm
from .deps import SettingsDep

router = APIRouter(tags=["staff"])


@router.get(
    "/console",
    response_class=HTMLResponse,
    responses={503: {"description": "The LiveKit JS client is not installed (an HTML page)"}},
    summary="The handoff console: live calls, handoff requests, take a call",
)
async def console_page(settings: SettingsDep) -> HTMLResponse:
    headers = {
        "Content-Security-Policy": pages.content_security_policy(settings),
        "Cache-Control": "no-store",
    }
    if not npm.LIVEKIT_CLIENT.installed():
        page = pages.render("unavailable.html", message=npm.LIVEKIT_CLIENT.missing_message())
        return HTMLResponse(page, status_code=503, headers=headers)
    return HTMLResponse(pages.render("console.html"), headers=headers)
