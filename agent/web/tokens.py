"""A web visitor's LiveKit access token: one room, the microphone only, a short life."""

from __future__ import annotations

from datetime import timedelta

from livekit import api

from ..config import Settings

MICROPHONE = "microphone"  # livekit's TrackSource name, as the grant spells it


def visitor_grants(room: str) -> api.VideoGrants:
    """Join ``room`` (no other), hear it, publish a microphone track and nothing else:
    no camera or screen share, no data messages, no metadata of its own."""
    return api.VideoGrants(
        room_join=True,
        room=room,
        can_subscribe=True,
        can_publish=True,
        can_publish_sources=[MICROPHONE],
        can_publish_data=False,
        can_update_own_metadata=False,
    )


def visitor_token(
    settings: Settings, *, room: str, identity: str, ttl: timedelta | None = None
) -> str:
    """The visitor's JWT; it expires ``ttl`` (default ``FRONTDESK_WEB_TOKEN_TTL``) after
    now. It is only checked when the visitor joins: a call outlives it."""
    life = ttl if ttl is not None else timedelta(seconds=settings.web_token_ttl_s)
    return (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
        .with_identity(identity)
        .with_name("Web visitor")
        .with_kind("standard")
        .with_grants(visitor_grants(room))
        .with_ttl(life)
        .to_jwt()
    )
