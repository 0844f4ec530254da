"""Scheduled outbound calls: add, read, and move one along its statuses.

``scheduled`` -> ``dialing`` (claimed by the dispatcher that fires it) -> ``placed``
(dialled: answered or not, see ``outcome``) or ``failed`` (it could not be dialled);
``scheduled`` -> ``cancelled``. Every move is a compare-and-set (``UPDATE ... WHERE
status = ...``): of two dispatchers that fire the same job, or a job fired again after a
restart, one claims the call and the other does nothing, so a number is never rung twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ._dialect import affected
from .tables import ScheduledCall, utcnow

SCHEDULED, DIALING, PLACED, FAILED, CANCELLED = (
    "scheduled",
    "dialing",
    "placed",
    "failed",
    "cancelled",
)


@dataclass(frozen=True, kw_only=True)
class NewScheduledCall:
    id: str
    tenant: str
    phone_number: str  # E.164
    requested_at: datetime
    rings_at: datetime


async def add(s: AsyncSession, new: NewScheduledCall) -> ScheduledCall:
    now = utcnow()
    row = ScheduledCall(
        id=new.id,
        tenant=new.tenant,
        phone_number=new.phone_number,
        requested_at=new.requested_at,
        rings_at=new.rings_at,
        status=SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    s.add(row)
    await s.flush()
    return row


async def get(s: AsyncSession, call_id: str) -> ScheduledCall | None:
    return await s.get(ScheduledCall, call_id)


async def list_for(
    s: AsyncSession, tenant: str | None = None, *, status: str | None = None
) -> Sequence[ScheduledCall]:
    stmt = select(ScheduledCall).order_by(ScheduledCall.rings_at)
    if tenant is not None:
        stmt = stmt.where(ScheduledCall.tenant == tenant)
    if status is not None:
        stmt = stmt.where(ScheduledCall.status == status)
    return (await s.scalars(stmt)).all()


async def advance(s: AsyncSession, call_id: str, *, from_: str, to: str, **values: Any) -> bool:
    """Set the call's status to ``to`` if it is ``from_`` now (and ``values``);
    ``False`` when another writer got there first or the status does not allow it."""
    stmt = (
        update(ScheduledCall)
        .where(ScheduledCall.id == call_id, ScheduledCall.status == from_)
        .values(status=to, updated_at=utcnow(), **values)
    )
    return bool(await affected(s, stmt))


async def move(s: AsyncSession, call_id: str, rings_at: datetime) -> bool:
    """A scheduled call rings later (it fell due outside the calling hours)."""
    stmt = (
        update(ScheduledCall)
        .where(ScheduledCall.id == call_id, ScheduledCall.status == SCHEDULED)
        .values(rings_at=rings_at, updated_at=utcnow())
    )
    return bool(await affected(s, stmt))
