"""Scheduled outbound calls: ``POST /v1/calls`` with a phone number and ``at``.

The call is stored (``scheduled_calls``) with the time it rings: ``at``, or the next
start of the tenant's calling hours when ``at`` is outside them (:mod:`.calling_hours`),
and a job is placed on the dispatcher's scheduler (the meetings' APScheduler, its jobs
in the store's database, fired by one replica: :mod:`agent.meetings.scheduler`). A
restarted dispatcher still has the job, and fires it late if its time passed meanwhile;
a call that falls due outside the calling hours that way is moved to their next start
rather than rung at night.

When the job fires, the call is claimed by compare-and-set (``scheduled`` ->
``dialing``) before anything is dialled, so a job fired twice (two replicas, a restart
between firing and deleting the job) rings the number once. The claim is kept if the
dispatcher dies while dialling: the call is then never retried (a phone rung twice is
worse than a call-back missed), and stays ``dialing``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from livekit import api

from ..config import Settings
from ..control.errors import LIVEKIT_ERRORS
from ..errors import RequestError, SipError, TenantError
from ..meetings.scheduler import MeetingScheduler
from ..store import Store
from ..store import scheduled_calls as repo
from ..store.tables import ScheduledCall
from ..tenants import Tenant, load_tenant
from .calling_hours import rings_at
from .outbound import dial_out

logger = logging.getLogger("frontdesk.sip")

LATE_S = 1.0  # a job fired this much before its calling hours is moved, not rung


@dataclass
class ScheduledCalls:
    settings: Settings
    store: Store
    scheduler: MeetingScheduler
    lkapi: api.LiveKitAPI

    def __post_init__(self) -> None:
        self.scheduler.calls = self  # its job function hands fired calls here

    async def schedule(self, tenant: Tenant, number: str, at: datetime) -> ScheduledCall:
        """Store the call and place its job; it rings at ``at`` or, outside the tenant's
        calling hours, at their next start (the row's ``rings_at``); a time past rings
        now. Raises SipError when the tenant has no number to call from, TenantError
        when its calling hours never open."""
        if not tenant.config.routing.phone_numbers:
            raise SipError(
                f"{tenant.path}: routing.phone_numbers is empty: an outbound call needs the "
                "tenant's number to call from"
            )
        now = datetime.now(UTC)
        due = rings_at(tenant, max(at, now))
        new = repo.NewScheduledCall(
            id=secrets.token_hex(8),
            tenant=tenant.id,
            phone_number=number,
            requested_at=at,
            rings_at=due,
        )
        async with self.store.transaction() as s:
            call = await repo.add(s, new)
        await self.scheduler.plan_call(call.id, due)
        logger.info(
            "call scheduled",
            extra={"scheduled_call": call.id, "tenant": tenant.id, "rings_at": due.isoformat()},
        )
        return call

    async def list(self, tenant: str | None = None) -> list[ScheduledCall]:
        async with self.store.transaction() as s:
            return list(await repo.list_for(s, tenant))

    async def cancel(self, call_id: str, *, tenant: str) -> ScheduledCall:
        """Cancel ``tenant``'s call that has not rung yet (404: no such call of that
        tenant's; 409: too late)."""
        async with self.store.transaction() as s:
            call = await repo.get(s, call_id)
            if call is None or call.tenant != tenant:
                raise RequestError(f"no scheduled call {call_id!r}", status=404, field="id")
            cancelled = await repo.advance(s, call_id, from_=repo.SCHEDULED, to=repo.CANCELLED)
            call = await repo.get(s, call_id)
        if call is None:
            raise RequestError(f"no scheduled call {call_id!r}", status=404, field="id")
        if not cancelled:
            raise RequestError(
                f"scheduled call {call_id!r} is {call.status}: only a scheduled call can be "
                "cancelled",
                status=409,
                field="id",
            )
        await self.scheduler.unplan_call(call_id, call.rings_at)
        return call

    async def fire(self, call_id: str) -> None:
        """The job fired: ring the number once, unless the call was cancelled or claimed
        already, or it is now outside the calling hours (then it is moved)."""
        async with self.store.transaction() as s:
            call = await repo.get(s, call_id)
        if call is None or call.status != repo.SCHEDULED:
            logger.info("scheduled call skipped", extra={"scheduled_call": call_id})
            return
        try:
            tenant = await asyncio.to_thread(load_tenant, self.settings.tenants_dir, call.tenant)
            now = datetime.now(UTC)
            due = rings_at(tenant, now)
        except TenantError as e:
            await self._finish(call_id, repo.FAILED, error=str(e))
            return
        if due > now + timedelta(seconds=LATE_S):  # fired late, after the calling hours
            await self._move(call_id, due)
            return
        async with self.store.transaction() as s:
            claimed = await repo.advance(s, call_id, from_=repo.SCHEDULED, to=repo.DIALING)
        if not claimed:  # cancelled meanwhile, or another replica has it
            return
        await self._dial(call_id, tenant, call.phone_number)

    async def _dial(self, call_id: str, tenant: Tenant, number: str) -> None:
        try:
            placed = await dial_out(self.lkapi, self.settings, tenant=tenant, to=number)
        except (SipError, *LIVEKIT_ERRORS) as e:
            logger.error(
                "scheduled call failed", extra={"scheduled_call": call_id, "error": str(e)}
            )
            await self._finish(call_id, repo.FAILED, error=str(e) or repr(e))
            return
        logger.info(
            "scheduled call placed",
            extra={"scheduled_call": call_id, "room": placed.room, "outcome": placed.outcome},
        )
        await self._finish(
            call_id,
            repo.PLACED,
            room=placed.room,
            outcome=placed.outcome,
            sip_status=placed.sip_status,
        )

    async def _finish(self, call_id: str, status: str, **values: object) -> None:
        async with self.store.transaction() as s:
            for from_ in (repo.DIALING, repo.SCHEDULED):
                if await repo.advance(s, call_id, from_=from_, to=status, **values):
                    return

    async def _move(self, call_id: str, due: datetime) -> None:
        async with self.store.transaction() as s:
            moved = await repo.move(s, call_id, due)
        if moved:
            await self.scheduler.plan_call(call_id, due)
            logger.info(
                "scheduled call moved to the calling hours",
                extra={"scheduled_call": call_id, "rings_at": due.isoformat()},
            )
