"""The recorder's writes as the store takes them: one pydantic model per kind of op, a
union told apart by its ``op`` field, and how each is written (every one idempotent, so a
replay changes nothing). The capture spools them as JSON lines
(:mod:`agent.capture.ops`); :data:`OP` reads a line's object back, and :func:`problem`
says why one is not an op without repeating its values (a caller's words)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.turn import TurnRecord
from ..record.vocabulary import CallStatus, Source, Speaker
from . import calls, events, recordings, turns, usage
from .usage import PriceTable

OpKind = Literal["start", "turn", "event", "usage", "participant", "error", "finalize", "recording"]


class _Op(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    call_id: str
    tenant: str


class StartOp(_Op):
    op: Literal["start"]
    source: Source
    room: str
    started_at: datetime
    flow_id: str | None = None
    campaign: str | None = None
    caller_identity: str | None = None
    caller_number: str | None = None
    called_number: str | None = None


class TurnOp(_Op):
    op: Literal["turn"]
    seq: int
    speaker: Speaker
    text: str
    started_at: datetime
    ended_at: datetime | None = None
    stt_confidence: float | None = None
    interrupted: bool = False
    latency: dict[str, float] = Field(default_factory=dict)
    speaker_identity: str | None = None


class EventOp(_Op):
    op: Literal["event"]
    seq: int
    type: str
    at: datetime
    payload: dict[str, JsonValue] = Field(default_factory=dict)


class ParticipantOp(_Op):
    op: Literal["participant"]
    identity: str
    role: str
    joined_at: datetime
    name: str | None = None
    caller_identity: str | None = None
    caller_number: str | None = None


class UsageOp(_Op):
    op: Literal["usage"]
    kind: str
    provider: str
    model: str
    at: datetime
    tokens_in: int = 0
    tokens_out: int = 0
    audio_seconds: float = 0.0
    characters: int = 0


class RecordingOp(_Op):
    op: Literal["recording"]
    storage: str
    uri: str
    format: str
    channels: int
    size: int
    expires_at: datetime


class ErrorOp(_Op):
    op: Literal["error"]


class FinalizeOp(_Op):
    op: Literal["finalize"]
    ended_at: datetime
    status: CallStatus
    end_node: str | None = None
    end_reason: str | None = None


SpoolOp = Annotated[
    StartOp | TurnOp | EventOp | ParticipantOp | UsageOp | RecordingOp | ErrorOp | FinalizeOp,
    Field(discriminator="op"),
]
OP: TypeAdapter[SpoolOp] = TypeAdapter(SpoolOp)
"""Reads a spooled op (``OP.validate_python(decoded_line)``); anything else raises
pydantic's ``ValidationError`` (a ``ValueError``)."""


def problem(error: ValidationError) -> str:
    """Where and why a record is not an op, without the values it holds."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)
    )


async def apply(s: AsyncSession, record: SpoolOp, prices: PriceTable) -> None:
    """Write one op."""
    call_id, tenant = record.call_id, record.tenant
    match record:
        case StartOp():
            new = calls.NewCall(
                id=call_id,
                tenant=tenant,
                **record.model_dump(exclude={"op", "call_id", "tenant"}),
            )
            await calls.start_call(s, new)
        case TurnOp():
            turn = TurnRecord(
                seq=record.seq,
                speaker=record.speaker,
                text=record.text,
                started_at=record.started_at,
                ended_at=record.ended_at,
                stt_confidence=record.stt_confidence,
                interrupted=record.interrupted,
                latency=record.latency,
                identity=record.speaker_identity,
            )
            await turns.add_turn(s, call_id, tenant, turn)
        case EventOp():
            event = events.NewEvent(
                seq=record.seq, type=record.type, at=record.at, payload=record.payload
            )
            await events.add_event(s, call_id, tenant, event)
        case ParticipantOp():
            await calls.add_participant(
                s,
                call_id,
                tenant,
                identity=record.identity,
                role=record.role,
                joined_at=record.joined_at,
                name=record.name,
            )
            await calls.set_caller(
                s, call_id, identity=record.caller_identity, number=record.caller_number
            )
        case UsageOp():
            new_usage = usage.NewUsage(**record.model_dump(exclude={"op", "call_id", "tenant"}))
            await usage.add_usage(s, call_id, tenant, new_usage, prices)
        case RecordingOp():
            fields = record.model_dump(exclude={"op", "call_id", "tenant"})
            await recordings.add_recording(s, call_id=call_id, tenant=tenant, **fields)
        case ErrorOp():
            await calls.add_error(s, call_id)
        case FinalizeOp():
            await calls.finalize_call(
                s,
                call_id,
                ended_at=record.ended_at,
                status=record.status,
                end_node=record.end_node,
                end_reason=record.end_reason,
            )
