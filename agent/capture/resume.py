"""Finding a call to resume: the room's call a dead job left ``active``, read back.

A job dispatched to a room with ``resume`` in its metadata (see
:mod:`agent.control.recovery`) looks up the room's active call, flushes what the dead
job's spool still held (same machine), and rebuilds where the flow was
(:func:`~agent.flow.resume.rebuild_state`). The new recorder then goes on with the same
call id and the sequence numbers after the stored ones, so the call keeps one row.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import FlowRuntimeError
from ..flow.model import Flow
from ..flow.resume import ResumePoint, StoredEvent, StoredTurn, rebuild_state
from ..store import Store
from ..store.calls import NewCall, active_call_in_room
from ..store.events import list_events
from ..store.migrate import ensure_embedded_schema
from ..store.tables import Call
from ..store.turns import list_turns
from ..store.usage import PriceTable, load_prices
from . import spool

logger = logging.getLogger("frontdesk.capture")


@dataclass(frozen=True)
class ResumedCall:
    """An interrupted call: its row, where its flow was, and the last sequence numbers
    stored (the new recorder counts on from them)."""

    call: NewCall
    point: ResumePoint
    turn_seq: int
    event_seq: int


def wants_resume(metadata: str) -> bool:
    """Whether a dispatch's metadata asks to resume the room's call (``"resume": true``)."""
    try:
        return json.loads(metadata or "{}").get("resume") is True
    except (ValueError, AttributeError):
        return False


async def resumable_call(settings: Settings, room: str, flow: Flow) -> ResumedCall | None:
    """:func:`find_resumable` on the configured store and price table."""
    store = Store.open(settings)
    try:
        await ensure_embedded_schema(store.engine.url)
        prices = await asyncio.to_thread(load_prices, settings.prices_file)
        where = spool.spool_dir(settings.data_dir)
        return await find_resumable(store, room, flow, spool_dir=where, prices=prices)
    finally:
        await store.close()


async def find_resumable(
    store: Store, room: str, flow: Flow, *, spool_dir: Path, prices: PriceTable
) -> ResumedCall | None:
    """The room's interrupted call, or None when there is none to go on with (none is
    active, it was of another flow, it had ended, or no node was stored yet); logged
    with the call id."""
    async with store.transaction() as s:
        row = await active_call_in_room(s, room)
    if row is None:
        logger.warning("asked to resume, but the room has no active call", extra={"room": room})
        return None
    await spool.recover_call(store, spool_dir, prices, row.id)
    async with store.transaction() as s:
        rows = list(await list_events(s, row.id))
        turns = list(await list_turns(s, row.id))
    events = [StoredEvent(e.type, e.payload, e.at) for e in rows]
    if row.flow_id != flow.id:
        logger.warning(
            "not resuming: the call ran another flow",
            extra={"call_id": row.id, "stored_flow": row.flow_id, "flow": flow.id},
        )
        return None
    said = [StoredTurn(t.speaker, t.text) for t in turns]
    try:
        state = rebuild_state(flow, events, said, started_at=row.started_at)
    except FlowRuntimeError as e:
        logger.warning("not resuming the call", extra={"call_id": row.id, "reason": str(e)})
        return None
    times = [e.at for e in events] + [t.ended_at or t.started_at for t in turns]
    return ResumedCall(
        call=_new_call(row),
        point=ResumePoint(state, max(times, default=None)),
        turn_seq=max((t.seq for t in turns), default=0),
        event_seq=max((e.seq for e in rows), default=0),
    )


def _new_call(row: Call) -> NewCall:
    return NewCall(
        id=row.id,
        tenant=row.tenant,
        source=row.source,
        room=row.room,
        started_at=row.started_at,
        flow_id=row.flow_id,
        campaign=row.campaign,
        caller_identity=row.caller_identity,
        caller_number=row.caller_number,
        called_number=row.called_number,
    )
