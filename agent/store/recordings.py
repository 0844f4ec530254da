"""Recording rows: where a call's audio is, and when it expires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .tables import Recording, utcnow


async def add_recording(
    s: AsyncSession,
    *,
    call_id: str,
    tenant: str,
    storage: str,
    uri: str,
    format: str,
    channels: int,
    size: int,
    expires_at: datetime,
) -> int:
    row = Recording(
        call_id=call_id,
        tenant=tenant,
        storage=storage,
        uri=uri,
        format=format,
        channels=channels,
        bytes=size,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    s.add(row)
    await s.flush()
    return row.id


async def expired(s: AsyncSession, now: datetime, *, limit: int = 500) -> Sequence[Recording]:
    stmt = select(Recording).where(Recording.expires_at <= now).order_by(Recording.id)
    return (await s.scalars(stmt.limit(limit))).all()


async def delete_recording(s: AsyncSession, recording_id: int) -> None:
    await s.execute(delete(Recording).where(Recording.id == recording_id))


async def for_call(s: AsyncSession, call_id: str) -> Sequence[Recording]:
    stmt = select(Recording).where(Recording.call_id == call_id).order_by(Recording.id)
    return (await s.scalars(stmt)).all()
