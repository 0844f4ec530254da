"""Open a web visitor's call: check the campaign, create its room, dispatch the agent,
count the visit, and hand the browser a token for that room."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from livekit import api
from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..control.dispatch import dispatch_call
from ..control.errors import tenant_request_error
from ..errors import RequestError, TenantError
from ..store.engine import Store
from ..store.visits import record_visit
from ..tenants import Tenant, TenantRegistry
from .tokens import visitor_token

logger = logging.getLogger("frontdesk.web")

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class WebSessionRequest(BaseModel):
    """What the widget sends: its own configuration, used for nothing but choosing the
    tenant's campaign."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64, pattern=SLUG, description="Tenant id")
    campaign: str = Field(
        min_length=1, max_length=63, pattern=SLUG, description="A campaign in routing.campaigns"
    )


class WebSession(BaseModel):
    """What the browser needs to join its call."""

    url: str = Field(description="The LiveKit server's URL, as browsers reach it")
    token: str = Field(description="Join token: this room only, microphone only")
    room: str
    identity: str
    expires_at: datetime = Field(description="The token must be used (joined) before this")
    agent_timeout_s: float = Field(description="How long the widget waits for the agent")


@dataclass(frozen=True)
class Campaign:
    tenant: Tenant
    campaign: str


def find_campaign(registry: TenantRegistry, tenant_id: str, campaign: str) -> Campaign:
    """The tenant and its campaign, or a 404 naming the field (blocking: file reads)."""
    try:
        tenant = registry.get(tenant_id)
    except TenantError as e:
        raise tenant_request_error(tenant_id, e) from e
    if campaign not in tenant.config.routing.campaigns:
        raise RequestError(
            f"tenant {tenant_id!r} has no campaign {campaign!r}", status=404, field="campaign"
        )
    return Campaign(tenant, campaign)


def browser_livekit_url(settings: Settings) -> str:
    return settings.web_livekit_url or settings.livekit_url


async def open_session(
    settings: Settings,
    lkapi: api.LiveKitAPI,
    registry: TenantRegistry,
    store: Store,
    request: WebSessionRequest,
) -> WebSession:
    found = await asyncio.to_thread(find_campaign, registry, request.tenant, request.campaign)
    tenant = found.tenant.id
    room = f"web-{tenant}-{secrets.token_hex(4)}"
    # a LiveKit server that does not answer is the app's 503 (control/errors.py)
    await dispatch_call(
        lkapi, settings, tenant=tenant, room=room, source="web", campaign=found.campaign
    )
    await _count_visit(store, tenant, found.campaign, room)
    identity = f"visitor-{secrets.token_hex(4)}"
    ttl = timedelta(seconds=settings.web_token_ttl_s)
    logger.info(
        "web session opened", extra={"room": room, "tenant": tenant, "campaign": found.campaign}
    )
    return WebSession(
        url=browser_livekit_url(settings),
        token=visitor_token(settings, room=room, identity=identity, ttl=ttl),
        room=room,
        identity=identity,
        expires_at=datetime.now(UTC) + ttl,
        agent_timeout_s=settings.web_agent_timeout_s,
    )


async def _count_visit(store: Store, tenant: str, campaign: str, room: str) -> None:
    """Count the visit; a store that is down loses the count, never the visitor's call."""
    try:
        async with store.transaction() as s:
            await record_visit(s, tenant=tenant, campaign=campaign, room=room, at=datetime.now(UTC))
    except Exception as e:
        logger.error("visit not counted", extra={"room": room, "error": str(e)})
