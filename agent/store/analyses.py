"""Analyses and leads: one analysis per run, its notifications in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ._dialect import insert_for
from .outbox import NewNotification, enqueue
from .tables import Analysis, Lead, utcnow


@dataclass(frozen=True, kw_only=True)
class NewAnalysis:
    call_id: str
    tenant: str
    method: str  # llm | deterministic
    call_type: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    summary: str | None = None
    sentiment: float | None = None
    meeting: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class LeadUpdate:
    tenant: str
    contact_key: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    campaign: str | None = None
    score: int = 0
    priority: str = "low"
    status: str | None = None
    call_id: str | None = None
    signals: Sequence[Any] = ()


async def save_analysis(s: AsyncSession, analysis: NewAnalysis) -> int:
    row = Analysis(
        call_id=analysis.call_id,
        tenant=analysis.tenant,
        method=analysis.method,
        call_type=analysis.call_type,
        fields=dict(analysis.fields),
        summary=analysis.summary,
        sentiment=analysis.sentiment,
        meeting=dict(analysis.meeting) if analysis.meeting is not None else None,
        error=analysis.error,
        created_at=utcnow(),
    )
    s.add(row)
    await s.flush()
    return row.id


async def save_analysis_with_outbox(
    s: AsyncSession,
    analysis: NewAnalysis,
    notifications: Iterable[NewNotification],
    *,
    lead: LeadUpdate | None = None,
) -> tuple[int, list[int]]:
    """Store the analysis, the lead and the notifications together (call in one
    ``store.transaction()``). Returns the analysis id and the ids of newly enqueued rows
    (a notification whose idempotency key exists already is skipped)."""
    analysis_id = await save_analysis(s, analysis)
    if lead is not None:
        await upsert_lead(s, lead)
    enqueued = [i for n in notifications if (i := await enqueue(s, n)) is not None]
    return analysis_id, enqueued


async def upsert_lead(s: AsyncSession, lead: LeadUpdate) -> int:
    """Create the lead for (tenant, contact) or update it; known fields are not blanked."""
    now = utcnow()
    values: dict[str, Any] = {
        "tenant": lead.tenant,
        "contact_key": lead.contact_key,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "campaign": lead.campaign,
        "score": lead.score,
        "priority": lead.priority,
        "status": lead.status or "new",
        "last_call_id": lead.call_id,
        "signals": list(lead.signals),
        "created_at": now,
        "updated_at": now,
    }
    stmt = insert_for(s, Lead).values(**values)
    changes: dict[str, Any] = {
        "score": stmt.excluded.score,
        "priority": stmt.excluded.priority,
        "signals": stmt.excluded.signals,
        "updated_at": stmt.excluded.updated_at,
    }
    for key in ("name", "email", "phone", "campaign", "last_call_id"):
        if values[key] is not None:
            changes[key] = stmt.excluded[key]
    if lead.status is not None:
        changes["status"] = stmt.excluded.status
    stmt = stmt.on_conflict_do_update(index_elements=["tenant", "contact_key"], set_=changes)
    result = await s.execute(stmt.returning(Lead.id))
    return int(result.scalar_one())


async def analyses_for_call(s: AsyncSession, call_id: str) -> Sequence[Analysis]:
    stmt = select(Analysis).where(Analysis.call_id == call_id).order_by(Analysis.id)
    return (await s.scalars(stmt)).all()


async def lead_for_call(s: AsyncSession, call_id: str) -> Lead | None:
    stmt = select(Lead).where(Lead.last_call_id == call_id).order_by(Lead.updated_at.desc())
    return (await s.scalars(stmt.limit(1))).first()


async def get_lead(s: AsyncSession, tenant: str, contact_key: str) -> Lead | None:
    stmt = select(Lead).where(Lead.tenant == tenant, Lead.contact_key == contact_key)
    return (await s.scalars(stmt)).first()
