"""Flow events, stored generically by type; consents and handoffs also get their own rows
(a handoff's phone transfer sets its status: ``transferred`` or ``transfer_failed``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.events import EventType
from ._dialect import affected, insert_for
from .tables import Consent, FlowEventRow, Handoff


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    seq: int
    type: str  # the event's class name, e.g. NodeEntered
    at: datetime
    payload: Mapping[str, Any]  # every other field, JSON-ready

    @property
    def node(self) -> str | None:
        node = self.payload.get("node", self.payload.get("to_node"))
        return node if isinstance(node, str) else None


async def add_event(s: AsyncSession, call_id: str, tenant: str, event: NewEvent) -> bool:
    """Store a flow event once; a consent or handoff also lands in its table."""
    stmt = insert_for(s, FlowEventRow).values(
        call_id=call_id,
        tenant=tenant,
        seq=event.seq,
        type=event.type,
        node=event.node,
        payload=dict(event.payload),
        at=event.at,
    )
    if not await affected(s, stmt.on_conflict_do_nothing(index_elements=["call_id", "seq"])):
        return False
    p = event.payload
    if event.type == EventType.CONSENT_RECORDED:
        s.add(
            Consent(
                call_id=call_id,
                tenant=tenant,
                who=_str(p.get("who")),
                wording=str(p.get("wording", "")),
                granted=bool(p.get("granted")),
                at=event.at,
            )
        )
    elif event.type == EventType.HANDOFF_REQUESTED:
        s.add(
            Handoff(
                call_id=call_id,
                tenant=tenant,
                reason=_str(p.get("reason")),
                summary=_str(p.get("summary")),
                status="requested",
                at=event.at,
            )
        )
    elif event.type == EventType.CALL_TRANSFERRED:
        status = "transferred" if p.get("outcome") == "ok" else "transfer_failed"
        await _set_last_handoff(s, call_id, status)
    return True


async def _set_last_handoff(s: AsyncSession, call_id: str, status: str) -> None:
    await s.flush()  # the handoff may have been added in this batch
    last = select(Handoff.id).where(Handoff.call_id == call_id).order_by(Handoff.id.desc())
    found = (await s.scalars(last.limit(1))).first()
    if found is not None:
        await s.execute(update(Handoff).where(Handoff.id == found).values(status=status))


def _str(value: object) -> str | None:
    return str(value) if value is not None and value != "" else None


async def list_events(s: AsyncSession, call_id: str) -> Sequence[FlowEventRow]:
    stmt = select(FlowEventRow).where(FlowEventRow.call_id == call_id).order_by(FlowEventRow.seq)
    return (await s.scalars(stmt)).all()


async def consents(s: AsyncSession, call_id: str) -> Sequence[Consent]:
    stmt = select(Consent).where(Consent.call_id == call_id).order_by(Consent.id)
    return (await s.scalars(stmt)).all()


async def handoffs(s: AsyncSession, call_id: str) -> Sequence[Handoff]:
    stmt = select(Handoff).where(Handoff.call_id == call_id).order_by(Handoff.id)
    return (await s.scalars(stmt)).all()
