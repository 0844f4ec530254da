"""The recorder's writes as plain JSON records, so they can wait in a spool file, and
how each is applied to the store (every one idempotent, so a replay changes nothing)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from ..record.turn import TurnRecord
from ..store import calls, events, recordings, turns, usage
from ..store.usage import PriceTable

OpKind = Literal["start", "turn", "event", "usage", "participant", "error", "finalize", "recording"]


def jsonable(value: object) -> object:
    """Datetimes as ISO strings, mappings and sequences recursively, the rest as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def event_payload(event: object) -> tuple[str, datetime, dict[str, Any]]:
    """Any flow event dataclass as (class name, time, its other fields JSON-ready)."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"flow events are dataclass instances, not {type(event).__name__}")
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    at = fields.pop("at", None)
    if not isinstance(at, datetime):
        raise TypeError(f"{type(event).__name__} has no datetime 'at'")
    payload = jsonable(fields)
    assert isinstance(payload, dict)
    return type(event).__name__, at, payload


def encode(kind: OpKind, data: Mapping[str, Any]) -> str:
    return json.dumps({"op": kind, **jsonable(data)}, separators=(",", ":"))  # type: ignore[dict-item]


def decode(line: str) -> dict[str, Any]:
    record = json.loads(line)
    if not isinstance(record, dict) or "op" not in record:
        raise ValueError("not a recorder op")
    return record


def _dt(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _opt_dt(value: object) -> datetime | None:
    return None if value is None else _dt(value)


async def apply(s: AsyncSession, op: Mapping[str, Any], prices: PriceTable) -> None:
    """Write one op; ``call_id`` and ``tenant`` are in every op."""
    kind, call_id, tenant = op["op"], op["call_id"], op["tenant"]
    if kind == "start":
        await calls.start_call(
            s,
            calls.NewCall(
                id=call_id,
                tenant=tenant,
                source=op["source"],
                room=op["room"],
                started_at=_dt(op["started_at"]),
                flow_id=op.get("flow_id"),
                campaign=op.get("campaign"),
                caller_identity=op.get("caller_identity"),
                caller_number=op.get("caller_number"),
                called_number=op.get("called_number"),
            ),
        )
    elif kind == "turn":
        turn = TurnRecord(
            seq=op["seq"],
            speaker=op["speaker"],
            text=op["text"],
            started_at=_dt(op["started_at"]),
            ended_at=_opt_dt(op.get("ended_at")),
            stt_confidence=op.get("stt_confidence"),
            interrupted=bool(op.get("interrupted")),
            latency=op.get("latency") or {},
            identity=op.get("speaker_identity"),
        )
        await turns.add_turn(s, call_id, tenant, turn)
    elif kind == "event":
        event = events.NewEvent(
            seq=op["seq"], type=op["type"], at=_dt(op["at"]), payload=op.get("payload") or {}
        )
        await events.add_event(s, call_id, tenant, event)
    elif kind == "participant":
        await calls.add_participant(
            s,
            call_id,
            tenant,
            identity=op["identity"],
            role=op["role"],
            joined_at=_dt(op["joined_at"]),
            name=op.get("name"),
        )
        await calls.set_caller(
            s, call_id, identity=op.get("caller_identity"), number=op.get("caller_number")
        )
    elif kind == "usage":
        fields = {k: op[k] for k in ("kind", "provider", "model") if k in op}
        counts = ("tokens_in", "tokens_out", "audio_seconds", "characters")
        new = usage.NewUsage(at=_dt(op["at"]), **fields, **{k: op[k] for k in counts if k in op})
        await usage.add_usage(s, call_id, tenant, new, prices)
    elif kind == "recording":
        await recordings.add_recording(
            s,
            call_id=call_id,
            tenant=tenant,
            storage=op["storage"],
            uri=op["uri"],
            format=op["format"],
            channels=op["channels"],
            size=op["size"],
            expires_at=_dt(op["expires_at"]),
        )
    elif kind == "error":
        await calls.add_error(s, call_id)
    elif kind == "finalize":
        await calls.finalize_call(
            s,
            call_id,
            ended_at=_dt(op["ended_at"]),
            status=op["status"],
            end_node=op.get("end_node"),
            end_reason=op.get("end_reason"),
        )
    else:
        raise ValueError(f"unknown recorder op {kind!r}")
