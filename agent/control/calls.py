"""``POST /v1/calls``: create a room and dispatch the agent to it."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from livekit import api
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import Settings
from ..errors import RequestError, SipError, TenantError
from ..tenants import Tenant, load_tenant
from ..tenants.model import Source
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


class DispatchedCallBody(BaseModel):
    room: str
    tenant: str
    dispatch_id: str
    phone_number: str | None = None
    outcome: str | None = Field(
        None, description="a phone call's outcome: answered, busy, no-answer, rejected, failed"
    )
    sip_status: int | None = Field(None, description="the SIP status of a call not answered")


@router.post(
    "/v1/calls",
    status_code=201,
    response_model=DispatchedCallBody,
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
    request: Request, settings: SettingsDep, lkapi: LiveKitDep, staff: StaffDep
) -> DispatchedCallBody:
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
