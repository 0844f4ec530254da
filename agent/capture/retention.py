"""Retention: delete recordings past their expiry (set per tenant when each was made,
``recording.retention_days``, default ``FRONTDESK_RETENTION_DAYS`` = 90) and their rows.

Only a recording its storage owns is deleted (a file under the recordings root, an
object of the bucket); a row naming anything else is left alone, with its row, and
reported."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RetentionRun:
    deleted: int = 0  # recordings deleted, with their rows
    not_configured: int = 0  # in a storage not configured here (left)
    not_owned: int = 0  # naming a file or object outside the storage's own (left)


async def run_retention(
    store: Store, storages: Mapping[str, RecordingStorage], *, now: datetime | None = None
) -> RetentionRun:
    """Delete every expired recording its storage owns (file, then row). A recording in a
    storage that is not configured here, or outside what its storage owns, is left with
    its row, and reported."""
    now = now or datetime.now(UTC)
    deleted = 0
    skipped: dict[int, str] = {}
    while True:
        async with store.transaction() as s:
            batch = [
                r for r in await expired(s, now, limit=200 + len(skipped)) if r.id not in skipped
            ]
        if not batch:
            reasons = list(skipped.values())
            return RetentionRun(deleted, reasons.count("storage"), reasons.count("owner"))
        for rec in batch:
            storage = storages.get(rec.storage)
            if storage is None:
                logger.warning(
                    "expired recording in a storage that is not configured",
                    extra={"call_id": rec.call_id, "storage": rec.storage},
                )
                skipped[rec.id] = "storage"
                continue
            if not storage.owns(rec.uri):
                logger.error(
                    "recording row names a file outside the recordings root: not deleted",
                    extra={"call_id": rec.call_id, "uri": rec.uri, "storage": rec.storage},
                )
                skipped[rec.id] = "owner"
                continue
            await storage.delete(rec.uri)
            async with store.transaction() as s:
                await delete_recording(s, rec.id)
            deleted += 1
            logger.info("recording deleted", extra={"call_id": rec.call_id, "uri": rec.uri})
