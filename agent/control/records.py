"""The control API over stored calls, per tenant (staff only):

- ``GET /v1/calls``: the tenant's calls, newest first (``?active=true``: live ones),
  each with its open handoff request (reason, slots so far, a deterministic summary).
- ``GET /v1/calls/{id}``: one call with its transcript and flow events.
- ``POST /v1/calls/{id}/hangup``: ends the call (deletes its LiveKit room).
- ``POST /v1/calls/{id}/transfer``: a live phone call's caller is referred to another
  number or SIP URI (livekit-sip's ``TransferSIPParticipant``); web and meeting calls
  cannot be, nor ended ones (409).
- ``POST /v1/calls/{id}/take``: a LiveKit token for a staff member to join the call's
  room (their identity ``staff-<email>``, microphone on, no data), and the handoff
  marked taken.

Another tenant's call is a 403, an unknown one a 404.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from livekit import api
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..config import Settings
from ..errors import RequestError
from ..identities import staff_identity
from ..phones import is_dialable
from ..sip.transfer import transfer_participant, transfer_uri
from ..store import calls as call_repo
from ..store import events as event_repo
from ..store import live as live_repo
from ..store import turns as turn_repo
from ..store.engine import Store
from ..store.staff import StaffMember
from ..store.tables import Call, Handoff
from .auth import STAFF_ERRORS, StaffDep, require_tenant
from .deps import LiveKitDep, SettingsDep, StoreDep, SummarizerDep
from .errors import ErrorBody
from .summary import Line, Summarizer

logger = logging.getLogger("frontdesk.dispatcher")

router = APIRouter(tags=["calls"])
CallId = Annotated[str, Path(min_length=1, max_length=64, description="The call's id")]
ERRORS: dict[int | str, dict[str, object]] = {
    **STAFF_ERRORS,
    **{code: {"model": ErrorBody} for code in (404, 409, 422, 503)},
}


class HandoffBody(BaseModel):
    status: str = Field(description="requested, taken, returned, timed_out")
    reason: str | None
    summary: str
    slots: dict[str, Any]
    at: datetime


class CallSummary(BaseModel):
    id: str
    tenant: str
    source: str
    room: str
    status: str
    caller: str | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    flow_id: str | None
    handoff: HandoffBody | None = None


class TurnBody(BaseModel):
    seq: int
    speaker: str
    text: str
    started_at: datetime


class EventBody(BaseModel):
    seq: int
    type: str
    node: str | None
    payload: dict[str, Any]
    at: datetime


class CallDetail(CallSummary):
    turns: list[TurnBody]
    events: list[EventBody]


class CallList(BaseModel):
    calls: list[CallSummary]


class HungUp(BaseModel):
    call_id: str
    room: str


class TakeBody(BaseModel):
    call_id: str
    room: str
    url: str = Field(description="The LiveKit server's WebSocket URL")
    token: str = Field(description="A LiveKit token for this room only")
    identity: str


def summary_of(call: Call, handoff: HandoffBody | None = None) -> CallSummary:
    return CallSummary(
        id=call.id,
        tenant=call.tenant,
        source=call.source,
        room=call.room,
        status=call.status,
        caller=call.caller_number or call.caller_identity,
        started_at=call.started_at,
        ended_at=call.ended_at,
        end_reason=call.end_reason,
        flow_id=call.flow_id,
        handoff=handoff,
    )


async def _handoff(
    store: Store, summarizer: Summarizer, call_id: str, found: Handoff
) -> HandoffBody:
    async with store.transaction() as s:
        slots = await live_repo.handoff_slots(s, call_id)
        turns = await turn_repo.list_turns(s, call_id)
    lines = [Line(t.speaker, t.text) for t in turns if t.started_at <= found.at]
    return HandoffBody(
        status=found.status,
        reason=found.reason,
        summary=await summarizer.summary(
            f"{call_id}@{found.at.isoformat()}", lines, slots, found.reason
        ),
        slots=slots,
        at=found.at,
    )


async def own_call(store: Store, staff: StaffMember, call_id: str) -> Call:
    async with store.transaction() as s:
        call = await call_repo.get_call(s, call_id)
    if call is None:
        raise RequestError(f"no call {call_id!r}", status=404, field="call_id")
    require_tenant(staff, call.tenant, field="call_id")
    return call


@router.get("/v1/calls", response_model=CallList, responses=ERRORS, summary="The tenant's calls")
async def list_calls(
    staff: StaffDep,
    store: StoreDep,
    summarizer: SummarizerDep,
    active: Annotated[bool, Query(description="Only the calls going on now")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CallList:
    async with store.transaction() as s:
        found = await live_repo.list_for_tenant(s, staff.tenant, active_only=active, limit=limit)
        handoffs = await live_repo.latest_handoffs(s, [c.id for c in found])
    out = []
    for call in found:
        h = handoffs.get(call.id)
        out.append(summary_of(call, await _handoff(store, summarizer, call.id, h) if h else None))
    return CallList(calls=out)


@router.get(
    "/v1/calls/{call_id}",
    response_model=CallDetail,
    responses=ERRORS,
    summary="One call with its transcript and flow events",
)
async def show_call(
    call_id: CallId, staff: StaffDep, store: StoreDep, summarizer: SummarizerDep
) -> CallDetail:
    call = await own_call(store, staff, call_id)
    async with store.transaction() as s:
        turns = await turn_repo.list_turns(s, call.id)
        events = await event_repo.list_events(s, call.id)
        handoffs = await live_repo.latest_handoffs(s, [call.id])
    h = handoffs.get(call.id)
    base = summary_of(call, await _handoff(store, summarizer, call.id, h) if h else None)
    return CallDetail(
        **base.model_dump(),
        turns=[
            TurnBody(seq=t.seq, speaker=t.speaker, text=t.text, started_at=t.started_at)
            for t in turns
        ],
        events=[
            EventBody(seq=e.seq, type=e.type, node=e.node, payload=e.payload, at=e.at)
            for e in events
        ],
    )


def _active(call: Call) -> None:
    if call.status != "active":
        raise RequestError(f"call {call.id!r} has ended ({call.status})", status=409)


@router.post(
    "/v1/calls/{call_id}/hangup",
    response_model=HungUp,
    responses=ERRORS,
    summary="End a call: its LiveKit room is closed",
)
async def hang_up(call_id: CallId, staff: StaffDep, store: StoreDep, lkapi: LiveKitDep) -> HungUp:
    call = await own_call(store, staff, call_id)
    _active(call)
    await lkapi.room.delete_room(api.DeleteRoomRequest(room=call.room))
    logger.info("call hung up by staff", extra={"call_id": call.id, "staff": staff.id})
    return HungUp(call_id=call.id, room=call.room)


SIP_URI = r"^sips?:[A-Za-z0-9._~+\-!$&'()*,;=%]+@[A-Za-z0-9.\-\[\]:]+$"


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(
        min_length=1,
        max_length=256,
        description="Where the caller goes: an E.164 number (+442071234567, referred to "
        "sip:<number>@FRONTDESK_SIP_TRANSFER_HOST, else tel:<number>) or a sip: URI",
        examples=["+442071234567", "sip:reception@pbx.example"],
    )

    @field_validator("to")
    @classmethod
    def _dialable(cls, to: str) -> str:
        if to.startswith("+"):
            if not is_dialable(to):
                raise ValueError(f"{to!r} is not a possible E.164 phone number")
            return to
        if re.fullmatch(SIP_URI, to):
            return to
        raise ValueError("give an E.164 number (+442071234567) or a sip: URI (sip:user@host)")


class TransferredBody(BaseModel):
    call_id: str
    room: str
    to: str = Field(description="The URI the caller was referred to")


async def _phone_caller(lkapi: api.LiveKitAPI, call: Call) -> str:
    """The identity of the call's phone caller (livekit-sip's participant) in its room."""
    try:
        listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=call.room))
    except api.TwirpError as e:
        if e.code != api.TwirpErrorCode.NOT_FOUND:
            raise
        raise RequestError(f"call {call.id!r} has no room any more", status=409) from e
    for p in listing.participants:
        if p.kind == api.ParticipantInfo.Kind.SIP:
            return p.identity
    raise RequestError(f"call {call.id!r} has no phone caller in its room any more", status=409)


@router.post(
    "/v1/calls/{call_id}/transfer",
    response_model=TransferredBody,
    responses=ERRORS,
    summary="Transfer a live phone call's caller to another number or SIP URI",
)
async def transfer_call(
    call_id: CallId,
    *,
    body: TransferRequest,
    staff: StaffDep,
    store: StoreDep,
    settings: SettingsDep,
    lkapi: LiveKitDep,
) -> TransferredBody:
    call = await own_call(store, staff, call_id)
    _active(call)
    if call.source != "sip":
        raise RequestError(
            f"call {call.id!r} is a {call.source} call: only phone (SIP) calls can be transferred",
            status=409,
        )
    identity = await _phone_caller(lkapi, call)
    to = transfer_uri(settings, body.to) if body.to.startswith("+") else body.to
    result = await transfer_participant(lkapi, settings, call.room, identity, to)
    if not result.ok:
        status = f" (SIP {result.sip_status})" if result.sip_status else ""
        raise RequestError(
            f"the transfer to {body.to} failed{status}: {result.reason}", status=409, field="to"
        )
    logger.info("call transferred by staff", extra={"call_id": call.id, "staff": staff.id})
    return TransferredBody(call_id=call.id, room=call.room, to=to)


def staff_token(settings: Settings, staff: StaffMember, room: str) -> tuple[str, str]:
    identity = staff_identity(staff.id)
    token = (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
        .with_identity(identity)
        .with_name(staff.email)
        .with_attributes({"frontdesk.role": "staff"})
        .with_ttl(timedelta(seconds=settings.web_token_ttl_s))  # checked at join only
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room,
                can_publish=True,
                can_subscribe=True,
                can_publish_data=False,
                can_publish_sources=["microphone"],
            )
        )
        .to_jwt()
    )
    return identity, token


@router.post(
    "/v1/calls/{call_id}/take",
    response_model=TakeBody,
    responses=ERRORS,
    summary="Take a call: a LiveKit token for this staff member to join its room",
)
async def take_call(
    call_id: CallId, staff: StaffDep, store: StoreDep, settings: SettingsDep
) -> TakeBody:
    call = await own_call(store, staff, call_id)
    _active(call)
    identity, token = staff_token(settings, staff, call.room)
    async with store.transaction() as s:
        await live_repo.set_handoff_status(s, call.id, "taken")
    logger.info("call taken by staff", extra={"call_id": call.id, "staff": staff.id})
    url = settings.web_livekit_url or settings.livekit_url
    return TakeBody(call_id=call.id, room=call.room, url=url, token=token, identity=identity)
