"""Retention: delete recordings past their expiry (set per tenant when each was made,
``recording.retention_days``, default ``FRONTDESK_RETENTION_DAYS`` = 90) and their rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..store import Store
from ..store.recordings import delete_recording, expired
from .storage import RecordingStorage

logger = logging.getLogger("frontdesk.capture.retention")


ORPHAN_AGE = timedelta(days=1)


def sweep_orphans(directory: Path, *, now: datetime | None = None) -> int:
    """Delete recordings a killed worker left half-written (untouched for a day): with no
    row they can never be found. Blocking: run it in a thread."""
    now = now or datetime.now(UTC)
    removed = 0
    for path in directory.glob("*") if directory.is_dir() else []:
        if now - datetime.fromtimestamp(path.stat().st_mtime, UTC) > ORPHAN_AGE:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def expiry(started_at: datetime, retention_days: int) -> datetime:
    return started_at + timedelta(days=retention_days)


async def run_retention(
    store: Store, storages: Mapping[str, RecordingStorage], *, now: datetime | None = None
) -> int:
    """Delete every expired recording (file, then row); returns how many were deleted.
    A recording in a storage that is not configured here is left, and reported."""
    now = now or datetime.now(UTC)
    deleted = 0
    skipped: set[int] = set()
    while True:
        async with store.transaction() as s:
            batch = [
                r for r in await expired(s, now, limit=200 + len(skipped)) if r.id not in skipped
            ]
        if not batch:
            return deleted
        for rec in batch:
            storage = storages.get(rec.storage)
            if storage is None:
                logger.warning(
                    "expired recording in a storage that is not configured",
                    extra={"call_id": rec.call_id, "storage": rec.storage},
                )
                skipped.add(rec.id)
                continue
            await storage.delete(rec.uri)
            async with store.transaction() as s:
                await delete_recording(s, rec.id)
            deleted += 1
            logger.info("recording deleted", extra={"call_id": rec.call_id, "uri": rec.uri})
