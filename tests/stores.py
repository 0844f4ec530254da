"""A migrated SQLite call store for tests, seeded with calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from agent.store.calls import NewCall, start_call
from agent.store.engine import Store, normalize_url
from agent.store.migrate import upgrade


@asynccontextmanager
async def sqlite_store(path: Path, *calls: NewCall) -> AsyncIterator[Store]:
    """A store in a new SQLite file at ``path``, migrated by Alembic, holding ``calls``."""
    url = normalize_url(f"sqlite:///{path}")
    await asyncio.to_thread(upgrade, url)
    store = Store.from_url(url)
    try:
        async with store.transaction() as s:
            for call in calls:
                await start_call(s, call)
        yield store
    finally:
        await store.close()
