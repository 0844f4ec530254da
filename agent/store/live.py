"""What the dispatcher's live feed reads: rows written since its last look.

The worker's recorder writes turns and flow events as the call goes; the dispatcher
tails them by id (:func:`rows_after`) and diffs the set of active calls
(:func:`call_states`). Ids of rows committed by concurrent transactions may land out of
order on Postgres, so the feed reads a little behind its cursor and drops what it has
already sent (see :class:`agent.control.live.LiveFeed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.events import EventType
from .tables import Call, FlowEventRow, Handoff, Turn

LIVE_EVENT_TYPES = (
    EventType.NODE_ENTERED,
    EventType.HANDOFF_REQUESTED,
    EventType.HUMAN_JOINED,
    EventType.HUMAN_LEFT,
    EventType.HANDED_BACK,
    EventType.HANDOFF_TIMED_OUT,
    EventType.ENDED,
)


@dataclass(frozen=True)
class Cursor:
    turn_id: int = 0
    event_id: int = 0


@dataclass(frozen=True)
class CallState:
    id: str
    tenant: str
    status: str
    end_reason: str | None


async def cursor_now(s: AsyncSession) -> Cursor:
    turn = await s.scalar(select(func.max(Turn.id)))
    event = await s.scalar(select(func.max(FlowEventRow.id)))
    return Cursor(int(turn or 0), int(event or 0))


async def rows_after(
    s: AsyncSession, cursor: Cursor, *, behind: int, limit: int = 500
) -> tuple[Sequence[Turn], Sequence[FlowEventRow]]:
    """Turns and live flow events with ids past ``cursor`` less ``behind``, oldest first."""
    turns = await s.scalars(
        select(Turn).where(Turn.id > cursor.turn_id - behind).order_by(Turn.id).limit(limit)
    )
    events = await s.scalars(
        select(FlowEventRow)
        .where(
            FlowEventRow.id > cursor.event_id - behind,
            FlowEventRow.type.in_(LIVE_EVENT_TYPES),
        )
        .order_by(FlowEventRow.id)
        .limit(limit)
    )
    return turns.all(), events.all()


async def call_states(s: AsyncSession, also: Iterable[str]) -> list[CallState]:
    """Every active call, and the calls of ``also`` (the ones active at the last look)."""
    known = list(also)
    cond = Call.status == "active"
    stmt = select(Call.id, Call.tenant, Call.status, Call.end_reason).where(
        or_(cond, Call.id.in_(known)) if known else cond
    )
    return [CallState(*row) for row in (await s.execute(stmt)).all()]


async def list_for_tenant(
    s: AsyncSession, tenant: str, *, active_only: bool, limit: int
) -> Sequence[Call]:
    stmt = select(Call).where(Call.tenant == tenant)
    if active_only:
        stmt = stmt.where(Call.status == "active")
    return (await s.scalars(stmt.order_by(Call.started_at.desc()).limit(limit))).all()


async def latest_handoffs(s: AsyncSession, call_ids: Sequence[str]) -> dict[str, Handoff]:
    """Each call's latest handoff request."""
    if not call_ids:
        return {}
    rows = await s.scalars(
        select(Handoff).where(Handoff.call_id.in_(list(call_ids))).order_by(Handoff.id)
    )
    return {h.call_id: h for h in rows.all()}


async def handoff_slots(s: AsyncSession, call_id: str) -> dict[str, Any]:
    """The slots the latest ``HandoffRequested`` event of the call carried."""
    stmt = (
        select(FlowEventRow.payload)
        .where(FlowEventRow.call_id == call_id, FlowEventRow.type == EventType.HANDOFF_REQUESTED)
        .order_by(FlowEventRow.seq.desc())
        .limit(1)
    )
    payload = await s.scalar(stmt)
    slots = (payload or {}).get("slots") if isinstance(payload, dict) else None
    return dict(slots) if isinstance(slots, dict) else {}


async def set_handoff_status(s: AsyncSession, call_id: str, status: str) -> None:
    found = await latest_handoffs(s, [call_id])
    if call_id in found:
        found[call_id].status = status
