"""Create a call's room and dispatch the Frontdesk agent to it, through livekit-api."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from livekit import api

from ..config import Settings
from ..record.vocabulary import Source


@dataclass(frozen=True)
class DispatchedCall:
    room: str
    tenant: str
    dispatch_id: str


def livekit_api(settings: Settings) -> api.LiveKitAPI:
    http_url = settings.livekit_url.replace("ws://", "http://").replace("wss://", "https://")
    return api.LiveKitAPI(
        http_url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()
    )


def new_room_name(tenant: str) -> str:
    return f"call-{tenant}-{secrets.token_hex(4)}"


async def dispatch_call(
    lkapi: api.LiveKitAPI,
    settings: Settings,
    *,
    tenant: str,
    room: str | None = None,
    source: Source | None = None,
    campaign: str | None = None,
) -> DispatchedCall:
    """Create the room (tenant, and the source and campaign when given, in its metadata:
    they choose among the tenant's flows, and the call is stored with them) and
    explicitly dispatch the agent to it."""
    room_name = room or new_room_name(tenant)
    keys = {"tenant": tenant, "source": source, "campaign": campaign}
    metadata = json.dumps({k: v for k, v in keys.items() if v})
    await lkapi.room.create_room(
        api.CreateRoomRequest(name=room_name, metadata=metadata, empty_timeout=60)
    )
    dispatch = await lkapi.agent_dispatch.create_dispatch(
        api.CreateAgentDispatchRequest(
            agent_name=settings.agent_name, room=room_name, metadata=metadata
        )
    )
    return DispatchedCall(room=room_name, tenant=tenant, dispatch_id=dispatch.id)


def participant_token(settings: Settings, *, room: str, identity: str, name: str = "") -> str:
    """A join token for a human or simulated participant of ``room``."""
    return (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
        .with_identity(identity)
        .with_name(name or identity)
        .with_grants(api.VideoGrants(room_join=True, room=room))
        .to_jwt()
    )
