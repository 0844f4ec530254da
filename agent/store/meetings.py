"""Scheduled meetings: create, read, and move a meeting along its statuses.

A status changes only by :func:`advance`, a compare-and-set (``UPDATE ... WHERE status
IN (...)``): of two dispatchers that fire the same job, one changes the row and the other
sees ``False`` and does nothing. That makes each meeting's join and no-show happen once
whatever the scheduler does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ._dialect import affected
from .tables import Call, Meeting, Participant, utcnow

SCHEDULED, REMINDED, STARTED = "scheduled", "reminded", "started"
COMPLETED, NO_SHOW, CANCELLED = "completed", "no-show", "cancelled"
UPCOMING = (SCHEDULED, REMINDED)


@dataclass(frozen=True, kw_only=True)
class NewMeeting:
    id: str
    tenant: str
    title: str
    starts_at: datetime
    duration_min: int
    timezone: str
    attendees: Sequence[dict[str, str]]
    organizer: str | None
    mode: str


async def add(s: AsyncSession, new: NewMeeting) -> Meeting:
    row = Meeting(
        id=new.id,
        tenant=new.tenant,
        title=new.title,
        starts_at=new.starts_at,
        duration_min=new.duration_min,
        timezone=new.timezone,
        attendees=[dict(a) for a in new.attendees],
        organizer=new.organizer,
        mode=new.mode,
        status=SCHEDULED,
        sequence=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    s.add(row)
    await s.flush()
    return row


async def get(s: AsyncSession, meeting_id: str) -> Meeting | None:
    return await s.get(Meeting, meeting_id)


async def list_for(s: AsyncSession, tenant: str | None = None) -> Sequence[Meeting]:
    stmt = select(Meeting).order_by(Meeting.starts_at)
    if tenant is not None:
        stmt = stmt.where(Meeting.tenant == tenant)
    return (await s.scalars(stmt)).all()


async def advance(
    s: AsyncSession, meeting_id: str, *, from_: Collection[str], to: str, **values: Any
) -> bool:
    """Set the meeting's status to ``to`` if it is one of ``from_`` now (and ``values``);
    ``False`` when another writer got there first or the status does not allow it."""
    stmt = (
        update(Meeting)
        .where(Meeting.id == meeting_id, Meeting.status.in_(list(from_)))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(await affected(s, stmt))


async def reschedule(
    s: AsyncSession, meeting_id: str, *, starts_at: datetime, duration_min: int
) -> bool:
    """Move an upcoming meeting (back to ``scheduled``, its ICS SEQUENCE one higher)."""
    return await advance(
        s,
        meeting_id,
        from_=UPCOMING,
        to=SCHEDULED,
        starts_at=starts_at,
        duration_min=duration_min,
        sequence=Meeting.sequence + 1,
    )


async def cancel(s: AsyncSession, meeting_id: str) -> bool:
    return await advance(s, meeting_id, from_=UPCOMING, to=CANCELLED, sequence=Meeting.sequence + 1)


async def anyone_came(s: AsyncSession, tenant: str, room: str) -> bool:
    """Whether a participant other than the agent was stored in a call of ``room``
    (one who joined and left before the no-show check counts)."""
    stmt = (
        select(Participant.id)
        .join(Call, Call.id == Participant.call_id)
        .where(Call.tenant == tenant, Call.room == room, Participant.role != "agent")
        .limit(1)
    )
    return (await s.scalar(stmt)) is not None
