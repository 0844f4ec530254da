"""Alembic environment: async engines, URL from the settings unless one is passed in."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import URL, Connection

from agent.config import load_settings
from agent.store.engine import create_engine_for, database_url
from agent.store.tables import SCHEDULER_METADATA, Base

config = context.config
target_metadata = [Base.metadata, SCHEDULER_METADATA]


def _url() -> URL:
    url = config.attributes.get("url")
    if isinstance(url, URL):
        return url
    return database_url(load_settings(check_keys=False))


def _configure(connection: Connection | None = None, url: URL | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        literal_binds=connection is None,
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine_for(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
