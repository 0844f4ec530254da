"""Create, reschedule and cancel a meeting: the store row, its jobs and its emails."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..control.errors import tenant_request_error
from ..errors import RequestError, TenantError
from ..store import Store
from ..store import meetings as repo
from ..store.tables import Meeting
from ..tenants import load_tenant
from . import mail
from .model import MeetingRequest, MeetingTime
from .scheduler import MeetingScheduler


@dataclass
class Meetings:
    settings: Settings
    store: Store
    scheduler: MeetingScheduler

    async def create(self, body: MeetingRequest) -> Meeting:
        organizer = await self._organizer(body.tenant)
        new = repo.NewMeeting(
            id=secrets.token_hex(8),
            tenant=body.tenant,
            title=body.title,
            starts_at=body.start,
            duration_min=body.duration_min,
            timezone=body.timezone,
            attendees=[a.model_dump() for a in body.attendees],
            organizer=organizer,
            mode=body.mode,
        )
        async with self.store.transaction() as s:
            meeting = await repo.add(s, new)
            await mail.enqueue_for_attendees(s, self.settings, meeting, "meeting_invitation")
        await self.scheduler.plan(meeting)
        return meeting

    async def get(self, meeting_id: str) -> Meeting:
        async with self.store.transaction() as s:
            meeting = await repo.get(s, meeting_id)
        if meeting is None:
            raise RequestError(f"no meeting {meeting_id!r}", status=404, field="meeting_id")
        return meeting

    async def reschedule(self, meeting_id: str, when: MeetingTime) -> Meeting:
        async with self.store.transaction() as s:
            moved = await repo.reschedule(
                s, meeting_id, starts_at=when.start, duration_min=when.duration_min
            )
            meeting = await _changed(s, meeting_id, moved, "only an upcoming one moves")
            await mail.enqueue_for_attendees(s, self.settings, meeting, "meeting_update")
        await self.scheduler.plan(meeting)
        return meeting

    async def cancel(self, meeting_id: str) -> Meeting:
        async with self.store.transaction() as s:
            cancelled = await repo.cancel(s, meeting_id)
            meeting = await _changed(s, meeting_id, cancelled, "only an upcoming one is cancelled")
            await mail.enqueue_for_attendees(s, self.settings, meeting, "meeting_cancellation")
        await self.scheduler.unplan(meeting_id)
        return meeting

    async def _organizer(self, tenant_id: str) -> str | None:
        try:
            tenant = await asyncio.to_thread(load_tenant, self.settings.tenants_dir, tenant_id)
        except TenantError as e:
            raise tenant_request_error(tenant_id, e) from e
        owners = tenant.config.routing.meeting_owners
        return owners[0] if owners else tenant.config.notifications.owner_email


async def _changed(s: AsyncSession, meeting_id: str, changed: bool, rule: str) -> Meeting:
    """The meeting after a change: 404 when there is none, 409 (saying ``rule``) when
    the change did not apply to it."""
    meeting = await repo.get(s, meeting_id)
    if meeting is None:
        raise RequestError(f"no meeting {meeting_id!r}", status=404, field="meeting_id")
    if not changed:
        raise RequestError(
            f"meeting {meeting_id} is {meeting.status}: {rule}", status=409, field="meeting_id"
        )
    return meeting
