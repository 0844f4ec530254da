"""Outbound phone calls: the agent calls a number for a tenant (campaigns, call-backs).

The call's room is made and the agent dispatched to it first, so the agent is there
before the callee answers; then livekit-sip dials the number through the outbound trunk
``frontdesk sip sync`` made (``CreateSIPParticipant``, waiting until answered). The
worker greets the callee once the phone is answered. A call that is not answered
(busy, no answer, rejected) is stored here, as the worker never serves it: status
``failed``, the outcome as its end reason, and the SIP status.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from livekit import api

from ..config import Settings
from ..control.dispatch import DispatchedCall, new_room_name
from ..errors import SipError
from ..store import Store
from ..store.calls import NewCall, finalize_call, new_call_id, start_call
from ..tenants import Tenant
from ..tenants.resolve import normalize_number
from .sync import outbound_trunk_id

logger = logging.getLogger("frontdesk.sip")

Outcome = Literal["answered", "busy", "no-answer", "rejected", "failed"]
BUSY, NO_ANSWER, REJECTED = {486, 600}, {408, 480, 487}, {403, 603}


@dataclass(frozen=True)
class OutboundCall:
    room: str
    tenant: str
    dispatch_id: str
    to: str  # E.164
    outcome: Outcome
    sip_status: int | None = None  # the SIP response when it was not answered


def outcome_of(sip_status: int | None) -> Outcome:
    if sip_status in BUSY:
        return "busy"
    if sip_status in NO_ANSWER:
        return "no-answer"
    if sip_status in REJECTED:
        return "rejected"
    return "failed"


async def dial_out(
    lkapi: api.LiveKitAPI, settings: Settings, *, tenant: Tenant, to: str
) -> OutboundCall:
    """Call ``to`` for ``tenant``; returns once the callee answered or the call failed.
    Raises SipError when there is no outbound trunk (run ``frontdesk sip sync`` with
    FRONTDESK_SIP_OUTBOUND_ADDRESS set) or the tenant has no number to call from."""
    number = normalize_number(to)
    trunk = await outbound_trunk_id(lkapi)
    if trunk is None:
        raise SipError(
            "no outbound trunk: set FRONTDESK_SIP_OUTBOUND_ADDRESS and run `frontdesk sip sync`"
        )
    own = tenant.config.routing.phone_numbers
    if not own:
        raise SipError(
            f"{tenant.folder / 'tenant.yaml'}: routing.phone_numbers is empty: an outbound "
            "call needs the tenant's number to call from"
        )
    call = await _room_with_agent(lkapi, settings, tenant.id, number)
    started = datetime.now(UTC)
    request = api.CreateSIPParticipantRequest(
        sip_trunk_id=trunk,
        sip_call_to=number,
        sip_number=own[0],
        room_name=call.room,
        participant_identity=f"phone-{number}",
        participant_name=number,
        wait_until_answered=True,
    )
    request.ringing_timeout.FromSeconds(int(settings.sip_ring_timeout_s))
    try:
        await lkapi.sip.create_sip_participant(request)
    except api.SipCallError as e:
        status = e.sip_status_code
        outcome = outcome_of(status)
        logger.info(
            "outbound call not answered",
            extra={"room": call.room, "outcome": outcome, "sip_status": status},
        )
        result = OutboundCall(call.room, tenant.id, call.dispatch_id, number, outcome, status)
        await _store_unanswered(settings, result, started)
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=call.room))
        return result
    except api.TwirpError as e:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=call.room))
        raise SipError(f"calling {number} failed: {e.message}") from e
    logger.info("outbound call answered", extra={"room": call.room})
    return OutboundCall(call.room, tenant.id, call.dispatch_id, number, "answered")


async def _room_with_agent(
    lkapi: api.LiveKitAPI, settings: Settings, tenant: str, number: str
) -> DispatchedCall:
    """The call's room, with the agent dispatched to it: the metadata names the tenant,
    the phone source (the tenant's phone flow), the direction (the worker waits for the
    answer before it speaks) and the number dialled (stored with the call)."""
    room = new_room_name(tenant)
    metadata = json.dumps(
        {"tenant": tenant, "source": "sip", "direction": "outbound", "phone_number": number}
    )
    await lkapi.room.create_room(
        api.CreateRoomRequest(name=room, metadata=metadata, empty_timeout=60)
    )
    dispatch = await lkapi.agent_dispatch.create_dispatch(
        api.CreateAgentDispatchRequest(agent_name=settings.agent_name, room=room, metadata=metadata)
    )
    return DispatchedCall(room=room, tenant=tenant, dispatch_id=dispatch.id)


async def _store_unanswered(settings: Settings, call: OutboundCall, started: datetime) -> None:
    store = Store.open(settings)
    try:
        call_id = new_call_id(call.room)
        async with store.transaction() as s:
            await start_call(
                s,
                NewCall(
                    id=call_id,
                    tenant=call.tenant,
                    source="sip",
                    room=call.room,
                    started_at=started,
                    caller_number=call.to,
                    called_number=call.to,
                ),
            )
            await finalize_call(
                s,
                call_id,
                ended_at=datetime.now(UTC),
                status="failed",
                end_reason=call.outcome,
                sip_status=call.sip_status,
            )
    finally:
        await store.close()
