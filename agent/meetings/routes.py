"""The dispatcher's meeting routes.

- ``POST /v1/meetings``: schedule a meeting; each attendee is emailed an invitation (ICS
  and a personal join link). ``GET /v1/meetings/{id}``: its state.
- ``POST /v1/meetings/{id}/reschedule`` and ``/cancel``: the attendees get the ICS update.
- ``GET /m/join``: the join page; its script reads the token from the link's fragment
  (never sent to a server log) and exchanges it at ``POST /v1/meetings/join`` for a
  LiveKit token to the meeting's room.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse

from ..config import Settings
from ..control.auth import StaffDep, require_tenant
from ..control.dispatch import livekit_api
from ..control.errors import ErrorBody
from ..errors import RequestError
from ..sip.scheduled import ScheduledCalls
from ..store import Store
from ..store import meetings as repo
from ..store.migrate import ensure_embedded_schema
from ..store.staff import StaffMember
from ..store.tables import Meeting
from ..web.tokens import visitor_token
from . import links
from .model import (
    STATUSES,
    Attendee,
    JoinBody,
    JoinRequest,
    MeetingBody,
    MeetingRequest,
    MeetingTime,
)
from .pages import JOIN_PAGE
from .runner import MeetingRunner, room_name
from .scheduler import MeetingScheduler
from .service import Meetings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    store = Store.open(settings)
    await ensure_embedded_schema(store.engine.url)
    lkapi = livekit_api(settings)
    runner = MeetingRunner(settings, store, lkapi)
    scheduler = MeetingScheduler(settings, store, runner)
    # the same scheduler fires the scheduled phone calls (POST /v1/calls with `at`)
    app.state.scheduled_calls = ScheduledCalls(settings, store, scheduler, lkapi)
    await scheduler.start()
    app.state.meetings = Meetings(settings, store, scheduler)
    try:
        yield
    finally:
        await scheduler.stop()
        await lkapi.aclose()
        await store.close()


def _meetings(request: Request) -> Meetings:
    meetings = request.app.state.meetings
    assert isinstance(meetings, Meetings)
    return meetings


Service = Annotated[Meetings, Depends(_meetings)]
MeetingId = Annotated[str, Path(pattern=r"^[a-f0-9]{16}$", description="Meeting id")]
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 503)
}

router = APIRouter(tags=["meetings"], lifespan=lifespan)


async def _own(meetings: Meetings, meeting_id: str, staff: StaffMember) -> Meeting:
    """The meeting, when it is of the staff member's tenant (else 403)."""
    meeting = await meetings.get(meeting_id)
    require_tenant(staff, meeting.tenant)
    return meeting


def body_of(meeting: Meeting) -> MeetingBody:
    return MeetingBody(
        id=meeting.id,
        tenant=meeting.tenant,
        title=meeting.title,
        start=meeting.starts_at,
        duration_min=meeting.duration_min,
        timezone=meeting.timezone,
        attendees=[Attendee.model_validate(a) for a in meeting.attendees],
        mode="assistant" if meeting.mode == "assistant" else "discovery",
        status=STATUSES[meeting.status],
        sequence=meeting.sequence,
        room=meeting.room,
    )


@router.post(
    "/v1/meetings",
    status_code=201,
    response_model=MeetingBody,
    responses=ERRORS,
    summary="Schedule a meeting and invite its attendees",
)
async def create_meeting(body: MeetingRequest, meetings: Service, staff: StaffDep) -> MeetingBody:
    require_tenant(staff, body.tenant, field="tenant")
    return body_of(await meetings.create(body))


@router.get("/v1/meetings/{meeting_id}", response_model=MeetingBody, responses=ERRORS)
async def get_meeting(meeting_id: MeetingId, meetings: Service, staff: StaffDep) -> MeetingBody:
    return body_of(await _own(meetings, meeting_id, staff))


@router.post(
    "/v1/meetings/{meeting_id}/reschedule",
    response_model=MeetingBody,
    responses=ERRORS,
    summary="Move a meeting; the attendees get the updated invitation",
)
async def reschedule_meeting(
    meeting_id: MeetingId, body: MeetingTime, meetings: Service, staff: StaffDep
) -> MeetingBody:
    await _own(meetings, meeting_id, staff)
    return body_of(await meetings.reschedule(meeting_id, body))


@router.post(
    "/v1/meetings/{meeting_id}/cancel",
    response_model=MeetingBody,
    responses=ERRORS,
    summary="Cancel a meeting; the attendees get the cancellation",
)
async def cancel_meeting(meeting_id: MeetingId, meetings: Service, staff: StaffDep) -> MeetingBody:
    await _own(meetings, meeting_id, staff)
    return body_of(await meetings.cancel(meeting_id))


@router.post(
    "/v1/meetings/join",
    response_model=JoinBody,
    responses=ERRORS,
    summary="Exchange a join link's token for a LiveKit token to the meeting's room",
)
async def join_meeting(body: JoinRequest, meetings: Service) -> JoinBody:
    settings = meetings.settings
    claim = links.verify(settings, body.token)
    async with meetings.store.transaction() as s:
        meeting = await repo.get(s, claim.meeting_id)
    if meeting is None or meeting.status not in (*repo.UPCOMING, repo.STARTED):
        state = meeting.status if meeting is not None else "gone"
        raise RequestError(f"this meeting is {state}", status=409, field="token")
    index = next(
        (n for n, a in enumerate(meeting.attendees) if a["email"].lower() == claim.email.lower()),
        None,
    )
    if index is None:
        raise RequestError("this link's attendee is no longer invited", status=401, field="token")
    await meetings.scheduler.runner.open_room(meeting)
    identity = f"attendee-{index}"
    token = visitor_token(settings, room=room_name(meeting.id), identity=identity)
    url = settings.web_livekit_url or settings.livekit_url
    return JoinBody(url=url, token=token, room=room_name(meeting.id), identity=identity)


@router.get("/m/join", response_class=HTMLResponse, include_in_schema=False)
async def join_page() -> HTMLResponse:
    return HTMLResponse(JOIN_PAGE)
