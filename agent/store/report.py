"""Everything stored about one call, gathered for ``frontdesk calls show``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import analyses, calls, events, outbox, recordings, turns, usage
from .tables import Base, Call


@dataclass(frozen=True)
class CallReport:
    call: Call
    rows: dict[str, list[Base]]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"call": row_dict(self.call)}
        for name, rows in self.rows.items():
            out[name] = [row_dict(r) for r in rows]
        out["cost_usd"] = round(sum(float(r["cost_usd"]) for r in out["usage"]), 6)
        return out


def row_dict(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}


async def find_call(s: AsyncSession, key: str) -> Call | None:
    """A call by its id, else the latest call in a room of that name."""
    call = await calls.get_call(s, key)
    if call is not None:
        return call
    stmt = select(Call).where(Call.room == key).order_by(Call.started_at.desc()).limit(1)
    return (await s.scalars(stmt)).first()


async def call_report(s: AsyncSession, key: str) -> CallReport | None:
    call = await find_call(s, key)
    if call is None:
        return None
    cid = call.id
    lead = await analyses.lead_for_call(s, cid)
    rows: dict[str, list[Base]] = {
        "participants": list(await calls.participants(s, cid)),
        "turns": list(await turns.list_turns(s, cid)),
        "events": list(await events.list_events(s, cid)),
        "consents": list(await events.consents(s, cid)),
        "handoffs": list(await events.handoffs(s, cid)),
        "analyses": list(await analyses.analyses_for_call(s, cid)),
        "leads": [lead] if lead is not None else [],
        "notifications": list(await outbox.for_call(s, cid)),
        "usage": list(await usage.usage_for_call(s, cid)),
        "recordings": list(await recordings.for_call(s, cid)),
    }
    return CallReport(call, rows)
