"""The dispatcher's HTTP API.

- ``POST /v1/calls``: ``{"tenant": "<id>", "room": "<optional name>", "source": "<optional:
  sip, web or meeting>"}`` creates a room and
  dispatches the agent; answers ``201 {"room", "tenant", "dispatch_id"}``.
- ``POST /livekit/webhook``: LiveKit's signed webhooks, verified with the API secret.
- ``GET /healthz``.

Bad requests get a 4xx whose JSON names the field at fault.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from livekit import api
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import Settings
from ..errors import TenantError
from ..tenants import load_tenant
from ..tenants.model import Source
from .dispatch import dispatch_call, livekit_api

logger = logging.getLogger("frontdesk.dispatcher")

SETTINGS_KEY = web.AppKey("settings", Settings)
API_KEY = web.AppKey("livekit_api", api.LiveKitAPI)


class CallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1)
    room: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    source: Source | None = None  # sip, web or meeting: chooses the tenant's flow


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


async def create_call(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    try:
        body = CallRequest.model_validate_json(await request.read())
    except ValidationError as e:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "error": err["msg"]}
            for err in e.errors()
        ]
        return _error(422, "invalid call request", fields=fields)
    try:
        await asyncio.to_thread(load_tenant, settings.tenants_dir, body.tenant)
    except TenantError as e:
        return _error(404, str(e), field="tenant")
    call = await dispatch_call(
        request.app[API_KEY], settings, tenant=body.tenant, room=body.room, source=body.source
    )
    logger.info("call dispatched", extra={"room": call.room, "tenant": call.tenant})
    return web.json_response(
        {"room": call.room, "tenant": call.tenant, "dispatch_id": call.dispatch_id}, status=201
    )


async def livekit_webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    receiver = api.WebhookReceiver(
        api.TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
    )
    body = (await request.read()).decode("utf-8", errors="replace")
    try:
        event = receiver.receive(body, request.headers.get("Authorization", ""))
    except Exception as e:  # livekit-api raises plain Exception for bad signatures
        logger.warning("rejected webhook", extra={"reason": str(e)})
        return _error(401, "webhook signature is invalid")
    logger.info("livekit event", extra={"event": event.event, "room": event.room.name})
    return web.json_response({"ok": True})


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def build_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS_KEY] = settings

    async def _lifespan(app: web.Application) -> Any:
        app[API_KEY] = livekit_api(settings)
        yield
        await app[API_KEY].aclose()

    app.cleanup_ctx.append(_lifespan)
    app.add_routes(
        [
            web.post("/v1/calls", create_call),
            web.post("/livekit/webhook", livekit_webhook),
            web.get("/healthz", healthz),
        ]
    )
    return app
