"""The notification outbox: enqueue once per idempotency key, claim, then mark the outcome.

:func:`claim_due` is the one concurrency primitive: many processors may call it at once
and never get the same row. On Postgres it is ``UPDATE ... WHERE id IN (SELECT ... FOR
UPDATE SKIP LOCKED) RETURNING``; on SQLite the same single statement runs inside the
store's ``BEGIN IMMEDIATE`` transaction, which holds the database's one write lock.
A claim older than ``lease_s`` (its processor died) is claimed again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ._dialect import affected, insert_for
from .tables import OutboxRow, utcnow

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"


@dataclass(frozen=True, kw_only=True)
class NewNotification:
    tenant: str
    call_id: str | None
    channel: str  # email | webhook
    target: str
    idempotency_key: str
    template: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    not_before: datetime | None = None


async def enqueue(s: AsyncSession, note: NewNotification) -> int | None:
    """Add a notification; returns its id, or ``None`` when the key was already enqueued."""
    stmt = (
        insert_for(s, OutboxRow)
        .values(
            tenant=note.tenant,
            call_id=note.call_id,
            channel=note.channel,
            target=note.target,
            template=note.template,
            payload=dict(note.payload),
            idempotency_key=note.idempotency_key,
            status=PENDING,
            attempts=0,
            next_attempt_at=note.not_before or utcnow(),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxRow.id)
    )
    return (await s.execute(stmt)).scalar_one_or_none()


async def claim_due(
    s: AsyncSession,
    *,
    limit: int,
    worker_id: str,
    now: datetime | None = None,
    lease_s: float = 300.0,
) -> list[OutboxRow]:
    """Claim up to ``limit`` due notifications for ``worker_id`` (status becomes sending)."""
    now = now or utcnow()
    due = or_(
        and_(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now),
        and_(OutboxRow.status == SENDING, OutboxRow.claimed_at < now - timedelta(seconds=lease_s)),
    )
    ids = (
        select(OutboxRow.id)
        .where(due)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids))
        .values(
            status=SENDING,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=OutboxRow.attempts + 1,
        )
        .returning(OutboxRow)
        .execution_options(synchronize_session=False)
    )
    rows = list((await s.scalars(stmt)).all())
    return sorted(rows, key=lambda r: (r.next_attempt_at, r.id))


async def _finish(s: AsyncSession, row_id: int, worker_id: str | None, **values: Any) -> bool:
    stmt = update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.status == SENDING)
    if worker_id is not None:
        stmt = stmt.where(OutboxRow.claimed_by == worker_id)
    return bool(
        await affected(s, stmt.values(**values).execution_options(synchronize_session=False))
    )


async def mark_delivered(s: AsyncSession, row_id: int, *, worker_id: str | None = None) -> bool:
    """Record delivery; ``False`` if the row is no longer this worker's claim."""
    return await _finish(
        s, row_id, worker_id, status=DELIVERED, delivered_at=utcnow(), last_error=None
    )


async def mark_retry(
    s: AsyncSession,
    row_id: int,
    error: str,
    next_at: datetime,
    *,
    worker_id: str | None = None,
    timed_out: bool = False,
) -> bool:
    """Give the row back for another attempt at ``next_at`` (counting a timed-out send)."""
    return await _finish(
        s,
        row_id,
        worker_id,
        status=PENDING,
        last_error=error,
        next_attempt_at=next_at,
        claimed_by=None,
        claimed_at=None,
        timeouts=OutboxRow.timeouts + int(timed_out),
    )


async def mark_failed(
    s: AsyncSession,
    row_id: int,
    error: str,
    *,
    worker_id: str | None = None,
    timed_out: bool = False,
) -> bool:
    """Give up on the row for good, keeping its last error visible."""
    return await _finish(
        s,
        row_id,
        worker_id,
        status=FAILED,
        last_error=error,
        timeouts=OutboxRow.timeouts + int(timed_out),
    )


async def for_call(s: AsyncSession, call_id: str) -> Sequence[OutboxRow]:
    stmt = select(OutboxRow).where(OutboxRow.call_id == call_id).order_by(OutboxRow.id)
    return (await s.scalars(stmt)).all()


async def get(s: AsyncSession, row_id: int) -> OutboxRow | None:
    return await s.get(OutboxRow, row_id)
