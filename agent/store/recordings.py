"""Recording rows: where a call's audio is, and when it expires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ._dialect import insert_for
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
    """Store a kept recording; the same (call, uri) again returns the existing row."""
    stmt = insert_for(s, Recording).values(
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
    await s.execute(stmt.on_conflict_do_nothing(index_elements=["call_id", "uri"]))
    found = select(Recording.id).where(Recording.call_id == call_id, Recording.uri == uri)
    return int((await s.execute(found)).scalar_one())


async def expired(s: AsyncSession, now: datetime, *, limit: int = 500) -> Sequence[Recording]:
    stmt = select(Recording).where(Recording.expires_at <= now).order_by(Recording.id)
    return (await s.scalars(stmt.limit(limit))).all()


async def delete_recording(s: AsyncSession, recording_id: int) -> None:
    await s.execute(delete(Recording).where(Recording.id == recording_id))


async def for_call(s: AsyncSession, call_id: str) -> Sequence[Recording]:
    stmt = select(Recording).where(Recording.call_id == call_id).order_by(Recording.id)
    return (await s.scalars(stmt)).all()
