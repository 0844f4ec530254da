"""Turns: what the caller and the agent said, written as each turn completes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.turn import TurnRecord
from ._dialect import affected, insert_for
from .tables import Turn


async def add_turn(s: AsyncSession, call_id: str, tenant: str, turn: TurnRecord) -> bool:
    """Store a turn; ``False`` when (call, seq) was already stored (a replay)."""
    stmt = insert_for(s, Turn).values(
        call_id=call_id,
        tenant=tenant,
        seq=turn.seq,
        speaker=turn.speaker,
        speaker_identity=turn.identity,
        text=turn.text,
        started_at=turn.started_at,
        ended_at=turn.ended_at,
        stt_confidence=turn.stt_confidence,
        interrupted=turn.interrupted,
        latency=dict(turn.latency),
    )
    return bool(await affected(s, stmt.on_conflict_do_nothing(index_elements=["call_id", "seq"])))


async def list_turns(s: AsyncSession, call_id: str) -> Sequence[Turn]:
    return (await s.scalars(select(Turn).where(Turn.call_id == call_id).order_by(Turn.seq))).all()
