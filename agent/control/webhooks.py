"""``POST /livekit/webhook``: LiveKit's signed webhooks, verified with the API secret."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Header, Request
from livekit import api
from pydantic import BaseModel

from ..errors import RequestError
from .deps import SettingsDep
from .errors import ErrorBody

logger = logging.getLogger("frontdesk.dispatcher")

router = APIRouter(tags=["livekit"])


class Accepted(BaseModel):
    ok: bool = True


@router.post(
    "/livekit/webhook",
    response_model=Accepted,
    responses={401: {"model": ErrorBody}},
    summary="Receive a LiveKit webhook (signed with the API key's secret)",
)
async def livekit_webhook(
    request: Request,
    settings: SettingsDep,
    authorization: str = Header("", description="LiveKit's signed JWT over the body"),
) -> Accepted:
    receiver = api.WebhookReceiver(
        api.TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
    )
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        event = receiver.receive(body, authorization)
    except Exception as e:  # livekit-api raises plain Exception for bad signatures
        logger.warning("rejected webhook", extra={"reason": str(e)})
        raise RequestError("webhook signature is invalid", status=401) from e
    logger.info("livekit event", extra={"event": event.event, "room": event.room.name})
    return Accepted()
