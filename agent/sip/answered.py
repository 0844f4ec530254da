"""Wait for a dialled phone to be answered before the agent speaks.

For an outbound call livekit-sip puts the callee's participant in the room while its
phone rings (``sip.callStatus`` is ``dialing`` or ``ringing``), and turns it ``active``
when the callee answers. The greeting must wait for that; a callee who never answers
leaves the room instead. (An inbound call also shows ``ringing`` until the agent
subscribes to it: that one must not be waited for. Outbound rooms say so in their
metadata, ``"direction": "outbound"``.)
"""

from __future__ import annotations

import asyncio
import json

from livekit import rtc

CALL_STATUS = "sip.callStatus"
RINGING = frozenset({"dialing", "ringing"})


def is_outbound(metadata: str | None) -> bool:
    """Whether a room's (or dispatch's) metadata says the agent placed this call."""
    try:
        data = json.loads(metadata or "{}")
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("direction") == "outbound"


def is_ringing(participant: rtc.RemoteParticipant) -> bool:
    return (
        participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
        and participant.attributes.get(CALL_STATUS) in RINGING
    )


async def wait_until_answered(
    room: rtc.Room, participant: rtc.RemoteParticipant, timeout: float
) -> bool:
    """True once ``participant``'s phone is answered (at once if it is not ringing);
    False when it leaves, or still rings after ``timeout`` seconds."""
    if not is_ringing(participant):
        return True
    settled: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def changed(_changed: dict[str, str], p: rtc.Participant) -> None:
        status = p.attributes.get(CALL_STATUS)
        if p.identity == participant.identity and not settled.done() and status not in RINGING:
            settled.set_result(status == "active")

    def left(p: rtc.RemoteParticipant) -> None:
        if p.identity == participant.identity and not settled.done():
            settled.set_result(False)

    room.on("participant_attributes_changed", changed)
    room.on("participant_disconnected", left)
    try:
        if not is_ringing(participant):  # answered while the handlers were set up
            return participant.attributes.get(CALL_STATUS) == "active"
        return await asyncio.wait_for(settled, timeout)
    except TimeoutError:
        return False
    finally:
        room.off("participant_attributes_changed", changed)
        room.off("participant_disconnected", left)
