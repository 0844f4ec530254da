"""``POST /livekit/webhook``: LiveKit's signed webhooks, verified with the API secret.

``participant_left`` of the agent resumes the call when its caller is still in the room
(the agent died), else, like ``room_finished``, closes the room's stored calls its
worker left open (see :mod:`.room_events`); other events are logged. A webhook seen
before (LiveKit's event id) or created more than ten minutes ago is refused (409): a
captured, validly signed request cannot be replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from livekit import api
from pydantic import BaseModel

from ..errors import RequestError
from .deps import SettingsDep
from .errors import ErrorBody
from .room_events import CallCloser

logger = logging.getLogger("frontdesk.dispatcher")


REPLAY_WINDOW_S = 600.0  # an event older than this is refused, and ids are kept this long


class ReplayGuard:
    """Refuses a signed webhook seen before (by LiveKit's event id) or too old to tell."""

    def __init__(self, window_s: float = REPLAY_WINDOW_S) -> None:
        self._window_s = window_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    def fresh(self, event_id: str, created_at: int, now: float) -> bool:
        while self._seen and next(iter(self._seen.values())) < now - self._window_s:
            self._seen.popitem(last=False)
        if created_at and created_at < now - self._window_s:
            return False
        if not event_id:
            return True
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    closer = CallCloser(app.state.settings)
    app.state.call_closer = closer
    app.state.webhook_replays = ReplayGuard()
    sweeps = asyncio.create_task(closer.run_sweeps(), name="overlong-calls")
    try:
        yield
    finally:
        sweeps.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeps
        await closer.aclose()


def _closer(request: Request) -> CallCloser:
    closer = request.app.state.call_closer
    assert isinstance(closer, CallCloser)
    return closer


router = APIRouter(tags=["livekit"], lifespan=lifespan)


class Accepted(BaseModel):
    ok: bool = True


@router.post(
    "/livekit/webhook",
    response_model=Accepted,
    responses={401: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    summary="Receive a LiveKit webhook (signed with the API key's secret)",
)
async def livekit_webhook(
    request: Request,
    settings: SettingsDep,
    closer: Annotated[CallCloser, Depends(_closer)],
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
    replays = request.app.state.webhook_replays
    assert isinstance(replays, ReplayGuard)
    if not replays.fresh(event.id, int(event.created_at), time.time()):
        logger.warning("replayed webhook", extra={"event_id": event.id, "room": event.room.name})
        raise RequestError("webhook already received, or too old", status=409)
    logger.info("livekit event", extra={"event": event.event, "room": event.room.name})
    agent_left = (
        event.event == "participant_left"
        and event.participant.kind == api.ParticipantInfo.Kind.AGENT
    )
    if event.room.name and agent_left:
        closer.agent_left(event.room.name, event.participant.identity, event.room.metadata)
    elif event.room.name and event.event == "room_finished":
        closer.room_ended(event.room.name, event.event)
    return Accepted()
