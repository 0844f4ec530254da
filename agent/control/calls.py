"""``POST /v1/calls``: create a room and dispatch the agent to it, or phone a number
(now, or at a time within the tenant's calling hours). ``GET /v1/calls/scheduled`` and
``POST /v1/calls/scheduled/{id}/cancel``: the calls still to ring."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from livekit import api
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ..config import Settings
from ..errors import RequestError, SipError, TenantError
from ..record.vocabulary import Source
from ..sip.scheduled import ScheduledCalls
from ..store.tables import ScheduledCall
from ..tenants import Tenant, load_tenant
from .auth import STAFF_ERRORS, StaffDep, require_tenant
from .deps import LiveKitDep, SettingsDep
from .dispatch import dispatch_call
from .errors import ErrorBody, tenant_request_error

logger = logging.getLogger("frontdesk.dispatcher")

router = APIRouter(tags=["calls"])


class CallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, description="The tenant's id (its folder in tenants/)")
    room: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Room name; a new one when omitted",
    )
    source: Source | None = Field(None, description="sip, web or meeting: chooses the flow")
    phone_number: str | None = Field(
        None,
        pattern=r"^\+[1-9]\d{6,14}$",
        description="E.164: the agent phones this number (through the outbound trunk) and "
        "the call is answered with the tenant's phone flow; the request returns once the "
        "callee answered or the call failed",
    )
    at: AwareDatetime | None = Field(
        None,
        description="With phone_number: ring at this time (ISO 8601 with an offset) instead "
        "of now; outside the tenant's calling hours (routing.calling_hours, else its hours) "
        "the call rings at their next start. Answered at once with when it will ring",
    )

    @field_validator("at")
    @classmethod
    def _at_needs_a_number(cls, at: datetime | None, info: ValidationInfo) -> datetime | None:
        if at is not None and info.data.get("phone_number") is None:
            raise ValueError("'at' schedules a phone call: give phone_number too")
        return at


class DispatchedCallBody(BaseModel):
    room: str
    tenant: str
    dispatch_id: str
    phone_number: str | None = None
    outcome: str | None = Field(
        None, description="a phone call's outcome: answered, busy, no-answer, rejected, failed"
    )
    sip_status: int | None = Field(None, description="the SIP status of a call not answered")


class ScheduledCallBody(BaseModel):
    """A phone call to be placed later, and, once placed, how it went."""

    id: str
    tenant: str
    phone_number: str
    requested_at: datetime = Field(description="the time asked for")
    rings_at: datetime = Field(description="when it rings (within the calling hours)")
    moved: bool = Field(description="rings_at is later than asked: outside the calling hours")
    status: Literal["scheduled", "dialing", "placed", "failed", "cancelled"]
    room: str | None = None
    outcome: str | None = Field(None, description="once placed: answered, busy, no-answer, ...")
    sip_status: int | None = None
    error: str | None = Field(None, description="why a call failed to be placed")

    @classmethod
    def of(cls, call: ScheduledCall) -> ScheduledCallBody:
        return cls(
            id=call.id,
            tenant=call.tenant,
            phone_number=call.phone_number,
            requested_at=call.requested_at,
            rings_at=call.rings_at,
            moved=call.rings_at > call.requested_at,
            status=call.status,
            room=call.room,
            outcome=call.outcome,
            sip_status=call.sip_status,
            error=call.error,
        )


@router.post(
    "/v1/calls",
    status_code=201,
    response_model=DispatchedCallBody | ScheduledCallBody,
    responses={
        **STAFF_ERRORS,
        **{code: {"model": ErrorBody} for code in (404, 409, 422, 503)},
    },
    summary="Create a room and dispatch the agent to it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CallRequest.model_json_schema()}},
        }
    },
)
async def create_call(
    request: Request, response: Response, settings: SettingsDep, lkapi: LiveKitDep, staff: StaffDep
) -> DispatchedCallBody | ScheduledCallBody:
    # The body is JSON whatever its Content-Type says, as it always was here
    # (`curl -d '{"tenant": ...}'` sends it as a form).
    try:
        body = CallRequest.model_validate_json(await request.body())
    except ValidationError as e:
        raise RequestValidationError(e.errors()) from e
    require_tenant(staff, body.tenant, field="tenant")
    try:
        tenant = await asyncio.to_thread(load_tenant, settings.tenants_dir, body.tenant)
    except TenantError as e:
        raise tenant_request_error(body.tenant, e) from e
    if body.phone_number is not None and body.at is not None:
        response.status_code = 202  # accepted: it rings later
        return await _schedule(request, tenant, body.phone_number, body.at)
    if body.phone_number is not None:
        return await _phone(lkapi, settings, tenant, body.phone_number)
    call = await dispatch_call(
        lkapi, settings, tenant=body.tenant, room=body.room, source=body.source
    )
    logger.info("call dispatched", extra={"room": call.room, "tenant": call.tenant})
    return DispatchedCallBody(room=call.room, tenant=call.tenant, dispatch_id=call.dispatch_id)


async def _phone(
    lkapi: api.LiveKitAPI, settings: Settings, tenant: Tenant, number: str
) -> DispatchedCallBody:
    from ..sip.outbound import dial_out  # phone calls live in agent/sip

    try:
        placed = await dial_out(lkapi, settings, tenant=tenant, to=number)
    except SipError as e:
        raise RequestError(str(e), status=409, field="phone_number") from e
    logger.info("phone call placed", extra={"room": placed.room, "outcome": placed.outcome})
    return DispatchedCallBody(
        room=placed.room,
        tenant=placed.tenant,
        dispatch_id=placed.dispatch_id,
        phone_number=placed.to,
        outcome=placed.outcome,
        sip_status=placed.sip_status,
    )


def _scheduled(request: Request) -> ScheduledCalls:
    calls = request.app.state.scheduled_calls
    assert isinstance(calls, ScheduledCalls)
    return calls


async def _schedule(
    request: Request, tenant: Tenant, number: str, at: datetime
) -> ScheduledCallBody:
    try:
        call = await _scheduled(request).schedule(tenant, number, at)
    except TenantError as e:  # the calling hours never open (the file's path is logged)
        logger.error("call not scheduled", extra={"tenant": tenant.id, "error": str(e)})
        message = f"tenant {tenant.id!r} has no calling hours within a year of {at.isoformat()}"
        raise RequestError(message, status=409, field="at") from e
    except SipError as e:
        logger.error("call not scheduled", extra={"tenant": tenant.id, "error": str(e)})
        message = f"tenant {tenant.id!r} has no phone number to call from (routing.phone_numbers)"
        raise RequestError(message, status=409, field="phone_number") from e
    return ScheduledCallBody.of(call)


@router.get(
    "/v1/calls/scheduled",
    response_model=list[ScheduledCallBody],
    responses=STAFF_ERRORS,
    summary="The signed-in tenant's scheduled phone calls, soonest first (and those placed)",
)
async def list_scheduled(
    request: Request,
    staff: StaffDep,
    tenant: Annotated[str | None, Query(min_length=1, description="Only this tenant's")] = None,
) -> list[ScheduledCallBody]:
    if tenant is not None:
        require_tenant(staff, tenant, field="tenant")
    return [ScheduledCallBody.of(c) for c in await _scheduled(request).list(staff.tenant)]


@router.post(
    "/v1/calls/scheduled/{call_id}/cancel",
    response_model=ScheduledCallBody,
    responses={**STAFF_ERRORS, **{code: {"model": ErrorBody} for code in (404, 409)}},
    summary="Cancel a scheduled phone call of the signed-in tenant that has not rung yet",
)
async def cancel_scheduled(
    request: Request,
    staff: StaffDep,
    call_id: Annotated[str, Path(pattern=r"^[a-f0-9]{16}$", description="Scheduled call id")],
) -> ScheduledCallBody:
    return ScheduledCallBody.of(await _scheduled(request).cancel(call_id, tenant=staff.tenant))
