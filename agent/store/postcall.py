"""The post-call pipeline's reads: one call's facts, and the outbox as the CLI lists it.

:func:`load_call_facts` reads the call row, its turns and its flow events (stored by
class name: ``SlotSet``, ``NodeEntered``, ``HandoffRequested``, ...) into the
pipeline's :class:`~agent.record.facts.CallFacts`. Writes go through
:mod:`.analyses` (analysis, lead and notifications in one transaction) and
:mod:`.outbox`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.events import EventType
from ..record.facts import CallFacts, TurnFact
from ._dialect import affected
from .calls import get_call
from .events import consents, handoffs, list_events
from .tables import Call, FlowEventRow, OutboxRow, utcnow
from .turns import list_turns

_HANDOFF_TYPES = frozenset({EventType.HANDOFF_REQUESTED, "handoff_requested"})


def _slots_and_path(events: Sequence[FlowEventRow]) -> tuple[dict[str, str], tuple[str, ...], bool]:
    slots: dict[str, str] = {}
    path: list[str] = []
    handoff = False
    for event in events:
        payload = event.payload or {}
        if event.type == EventType.SLOT_SET and isinstance(payload.get("slot"), str):
            slots[payload["slot"]] = str(payload.get("value", ""))
        elif event.type == EventType.SLOT_CLEARED and isinstance(payload.get("slot"), str):
            slots.pop(payload["slot"], None)
        elif event.type == EventType.NODE_ENTERED and event.node:
            path.append(event.node)
        elif event.type in _HANDOFF_TYPES or (
            event.type == EventType.GLOBAL_INTENT and payload.get("name") == "human"
        ):
            handoff = True
    return slots, tuple(path), handoff


async def load_call_facts(s: AsyncSession, call_id: str) -> CallFacts | None:
    """Everything the pipeline needs about ``call_id``, or None when it is not stored."""
    call = await get_call(s, call_id)
    if call is None:
        return None
    turns = await list_turns(s, call_id)
    slots, path, handoff = _slots_and_path(await list_events(s, call_id))
    handoff = handoff or bool(await handoffs(s, call_id))
    answers = await consents(s, call_id)
    return CallFacts(
        id=call.id,
        tenant=call.tenant,
        source=call.source,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_s=call.duration_s,
        status=call.status,
        caller=call.caller_number or call.caller_identity,
        caller_number=call.caller_number,
        called_number=call.called_number,
        flow_id=call.flow_id,
        campaign=call.campaign,
        end_node=call.end_node,
        turns=tuple(TurnFact(speaker=t.speaker, text=t.text, at=t.started_at) for t in turns),
        slots=slots,
        path=path,
        handoff_requested=handoff,
        consent=answers[-1].granted if answers else None,
    )


async def list_outbox(
    s: AsyncSession, *, status: str | None = None, tenant: str | None = None, limit: int = 50
) -> Sequence[OutboxRow]:
    """The newest notifications first, optionally of one status and tenant."""
    stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(OutboxRow.status == status)
    if tenant is not None:
        stmt = stmt.where(OutboxRow.tenant == tenant)
    return (await s.scalars(stmt)).all()


async def outbox_counts(s: AsyncSession) -> dict[str, int]:
    """How many notifications are in each status."""
    stmt = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    return {str(status): int(n) for status, n in (await s.execute(stmt)).all()}


async def requeue_failed(s: AsyncSession, ids: Sequence[int] | None = None) -> int:
    """Give failed notifications (these ``ids``, or all) a fresh set of attempts, due now,
    and a fresh retry horizon (from now). Returns how many were requeued."""
    stmt = update(OutboxRow).where(OutboxRow.status == "failed")
    if ids is not None:
        stmt = stmt.where(OutboxRow.id.in_(list(ids)))
    now = utcnow()
    values = {"status": "pending", "attempts": 0, "next_attempt_at": now, "revived_at": now}
    return await affected(s, stmt.values(**values).execution_options(synchronize_session=False))


async def call_id_for_room(s: AsyncSession, room: str) -> str | None:
    """The newest call held in ``room``, if the worker stored one."""
    stmt = select(Call.id).where(Call.room == room).order_by(Call.started_at.desc()).limit(1)
    return (await s.scalars(stmt)).first()
