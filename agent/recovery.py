"""Sending a new agent to a call whose agent died, so the caller goes on.

Self-hosted LiveKit does not dispatch a job again when its worker dies (livekit/agents
#1472); Frontdesk does, through livekit-api's ``create_dispatch``. Two places notice:

- the worker's main process, when one of its job processes exits abnormally (killed,
  out of memory): within milliseconds (:mod:`agent.worker_recovery`);
- the dispatcher, on LiveKit's ``participant_left`` for an agent: also when a whole
  worker (or its machine) is gone, but only once LiveKit gives up on the dead
  participant's connection, about 15 to 20 s later (:mod:`agent.control.webhooks`).

Both ask :func:`room_state` first, and both tag the new dispatch with the lost agent's
identity (``resume_of``), so one loss is resumed once: the second to notice finds the
new agent in the room, or the dispatch made for it. The new job's metadata is the lost
job's plus ``"resume": true``; it finds the room's active call in the store and goes on
with it (:mod:`agent.capture.resume`).
"""

from __future__ import annotations

import enum
import json
import logging

from livekit import api

from .metrics import JOBS_REDISPATCHED

logger = logging.getLogger("frontdesk.recovery")


class RoomState(enum.Enum):
    GONE = "gone"  # no caller left (or no room): nothing to resume
    SERVED = "served"  # another agent is in the room, or one was dispatched for this loss
    LOST = "lost"  # a caller waits with no agent: resume


def _metadata(raw: str) -> dict[str, object]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def room_state(lkapi: api.LiveKitAPI, room: str, lost: str) -> RoomState:
    """Whether ``room`` still has a caller and no agent but ``lost`` (the identity of
    the agent that died) nor a dispatch made to replace it."""
    try:
        listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room))
    except api.TwirpError as e:
        if e.code == api.TwirpErrorCode.NOT_FOUND:
            return RoomState.GONE
        raise
    others = [p for p in listing.participants if p.identity != lost]
    agent = api.ParticipantInfo.Kind.AGENT
    if not any(p.kind != agent for p in others):
        return RoomState.GONE
    if any(p.kind == agent for p in others):
        return RoomState.SERVED
    dispatches = await lkapi.agent_dispatch.list_dispatch(room_name=room)
    if any(_metadata(d.metadata).get("resume_of") == lost for d in dispatches):
        return RoomState.SERVED
    return RoomState.LOST


async def redispatch(
    lkapi: api.LiveKitAPI, *, room: str, agent_name: str, metadata: str, lost: str, by: str
) -> bool:
    """Dispatch ``agent_name`` to ``room`` again to resume its call, unless the room
    needs no one (see :func:`room_state`); ``metadata`` is the lost job's. True when a
    dispatch was made. The new job counts it (``frontdesk_jobs_redispatched_total{by}``
    in the worker's metrics, see :func:`count_redispatch`)."""
    state = await room_state(lkapi, room, lost)
    if state is not RoomState.LOST:
        logger.info(
            "no re-dispatch needed", extra={"room": room, "lost": lost, "state": state.value}
        )
        return False
    data = {**_metadata(metadata), "resume": True, "resume_of": lost, "resume_by": by}
    await lkapi.agent_dispatch.create_dispatch(
        api.CreateAgentDispatchRequest(agent_name=agent_name, room=room, metadata=json.dumps(data))
    )
    logger.warning(
        "agent lost mid-call; dispatched again to resume",
        extra={"room": room, "lost": lost, "by": by},
    )
    return True


def original_metadata(dispatches: list[api.AgentDispatch], room_metadata: str) -> str:
    """The metadata of the room's first dispatch that was not a resume (a lost job's, as
    the dispatcher sees it), else the room's own."""
    for dispatch in dispatches:
        if dispatch.metadata and not _metadata(dispatch.metadata).get("resume"):
            return dispatch.metadata
    return room_metadata


def count_redispatch(metadata: str) -> None:
    """Count a job dispatched to resume a call, by who noticed the loss. Counted in the
    new job's process: the worker's main process keeps its metrics out of the worker's
    ``/metrics`` (livekit serves only its job processes' multiprocess files)."""
    by = _metadata(metadata).get("resume_by")
    JOBS_REDISPATCHED.labels(by if by in ("worker", "dispatcher") else "unknown").inc()
