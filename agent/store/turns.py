"""Turns: what the caller and the agent said, written as each turn completes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.vocabulary import Speaker
from ._dialect import affected, insert_for
from .tables import Turn


@dataclass(frozen=True, kw_only=True)
class NewTurn:
    seq: int
    speaker: Speaker
    text: str
    started_at: datetime
    ended_at: datetime | None = None
    stt_confidence: float | None = None
    interrupted: bool = False
    latency: Mapping[str, float] = field(default_factory=dict)
    speaker_identity: str | None = None  # the participant, where several may speak


async def add_turn(s: AsyncSession, call_id: str, tenant: str, turn: NewTurn) -> bool:
    """Store a turn; ``False`` when (call, seq) was already stored (a replay)."""
    stmt = insert_for(s, Turn).values(
        call_id=call_id,
        tenant=tenant,
        seq=turn.seq,
        speaker=turn.speaker,
        speaker_identity=turn.speaker_identity,
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
