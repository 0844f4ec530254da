"""Calls and their participants: started when a room's session starts, finalized at close."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..record.vocabulary import CallStatus, Source
from ._dialect import insert_for
from .tables import Call, Participant, Turn

CALL_ID_MAX = int(Call.__table__.c.id.type.length)  # type: ignore[attr-defined]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def new_call_id(room: str) -> str:
    """A new call's id: the room's name and 8 random hex digits, at most
    :data:`CALL_ID_MAX` characters, of letters, digits, ``_``, ``.`` and ``-`` only
    (it names the call's spool and recording files). A room name too long to fit is
    cut and followed by a hash of the whole name, so two long rooms never share a
    prefix-only id."""
    suffix = uuid.uuid4().hex[:8]
    safe = _UNSAFE.sub("_", room).lstrip(".-") or "room"
    if len(safe) + 1 + len(suffix) <= CALL_ID_MAX:
        return f"{safe}-{suffix}"
    digest = hashlib.sha256(room.encode("utf-8", "replace")).hexdigest()[:8]
    keep = CALL_ID_MAX - 2 * (1 + len(suffix))
    return f"{safe[:keep]}-{digest}-{suffix}"


@dataclass(frozen=True, kw_only=True)
class NewCall:
    id: str
    tenant: str
    source: Source
    room: str
    started_at: datetime
    flow_id: str | None = None
    campaign: str | None = None
    caller_identity: str | None = None
    caller_number: str | None = None
    called_number: str | None = None  # SIP: the number the caller dialled


async def start_call(s: AsyncSession, call: NewCall) -> None:
    """Insert the call; a second start of the same id (spool replay) changes nothing."""
    stmt = insert_for(s, Call).values(
        id=call.id,
        tenant=call.tenant,
        source=call.source,
        room=call.room,
        started_at=call.started_at,
        flow_id=call.flow_id,
        campaign=call.campaign,
        caller_identity=call.caller_identity,
        caller_number=call.caller_number,
        called_number=call.called_number,
        status="active",
        error_count=0,
    )
    await s.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


async def set_caller(
    s: AsyncSession, call_id: str, *, identity: str | None, number: str | None
) -> None:
    values = {k: v for k, v in (("caller_identity", identity), ("caller_number", number)) if v}
    if values:
        await s.execute(update(Call).where(Call.id == call_id).values(**values))


async def add_participant(
    s: AsyncSession,
    call_id: str,
    tenant: str,
    *,
    identity: str,
    role: str,
    joined_at: datetime,
    name: str | None = None,
) -> None:
    stmt = insert_for(s, Participant).values(
        call_id=call_id, tenant=tenant, identity=identity, role=role, joined_at=joined_at, name=name
    )
    await s.execute(stmt.on_conflict_do_nothing(index_elements=["call_id", "identity"]))


async def participant_left(s: AsyncSession, call_id: str, identity: str, at: datetime) -> None:
    await s.execute(
        update(Participant)
        .where(Participant.call_id == call_id, Participant.identity == identity)
        .values(left_at=at)
    )


async def add_error(s: AsyncSession, call_id: str) -> None:
    await s.execute(update(Call).where(Call.id == call_id).values(error_count=Call.error_count + 1))


async def finalize_call(
    s: AsyncSession,
    call_id: str,
    *,
    ended_at: datetime,
    status: CallStatus,
    end_node: str | None = None,
    end_reason: str | None = None,
    sip_status: int | None = None,
) -> None:
    """Set end time, duration, status and end node (and the SIP status of an outbound
    call that failed), and close turns left open."""
    call = await s.get(Call, call_id)
    if call is None:
        return
    call.ended_at = ended_at
    call.duration_s = max(0.0, (ended_at - call.started_at).total_seconds())
    call.status = status
    call.end_node = end_node or call.end_node
    call.end_reason = end_reason
    call.sip_status = sip_status if sip_status is not None else call.sip_status
    await s.execute(
        update(Turn)
        .where(Turn.call_id == call_id, Turn.ended_at.is_(None))
        .values(ended_at=ended_at)
    )


async def close_abandoned(
    s: AsyncSession,
    *,
    ended_at: datetime,
    reason: str,
    room: str | None = None,
    started_before: datetime | None = None,
) -> list[str]:
    """Finalize as ``failed`` the calls still ``active`` in ``room`` (or started before
    ``started_before``): calls whose worker never closed them. A call its worker has
    finalized is left as it is. Returns their ids."""
    stmt = select(Call.id).where(Call.status == "active")
    if room is not None:
        stmt = stmt.where(Call.room == room)
    if started_before is not None:
        stmt = stmt.where(Call.started_at < started_before)
    ids = list((await s.scalars(stmt)).all())
    for call_id in ids:
        await finalize_call(s, call_id, ended_at=ended_at, status="failed", end_reason=reason)
    return ids


async def active_call_in_room(s: AsyncSession, room: str) -> Call | None:
    """The call still ``active`` in ``room`` (the latest started, should there be more):
    the one a job dispatched to resume it goes on with."""
    stmt = (
        select(Call)
        .where(Call.room == room, Call.status == "active")
        .order_by(Call.started_at.desc())
        .limit(1)
    )
    return (await s.scalars(stmt)).first()


async def get_call(s: AsyncSession, call_id: str) -> Call | None:
    return await s.get(Call, call_id)


async def list_calls(
    s: AsyncSession, *, tenant: str | None = None, limit: int = 50
) -> Sequence[Call]:
    stmt = select(Call).order_by(Call.started_at.desc()).limit(limit)
    if tenant is not None:
        stmt = stmt.where(Call.tenant == tenant)
    return (await s.scalars(stmt)).all()


async def participants(s: AsyncSession, call_id: str) -> Sequence[Participant]:
    stmt = select(Participant).where(Participant.call_id == call_id).order_by(Participant.id)
    return (await s.scalars(stmt)).all()
