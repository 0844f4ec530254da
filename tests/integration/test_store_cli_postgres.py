"""``frontdesk db upgrade`` migrates a real Postgres named by DATABASE_URL (postgres://)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from sqlalchemy import text

from agent.config import ROOT
from agent.store import Store
from agent.store.migrate import heads
from agent.store.tables import SCHEDULER_METADATA, Base
from tests.pg import PostgresServer

pytestmark = pytest.mark.integration


async def test_db_upgrade_migrates_the_database_url(postgres: PostgresServer) -> None:
    await asyncio.to_thread(postgres.psql, "CREATE DATABASE cli_upgrade")
    url = postgres.url("cli_upgrade").replace("postgresql://", "postgres://")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from agent.cli import main; main()",
        "db",
        "upgrade",
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, out.decode()
    assert "postgresql+asyncpg://postgres@127.0.0.1" in out.decode()
    store = Store.from_url(url)
    try:
        async with store.transaction() as s:
            version = (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            rows = await s.execute(
                text("SELECT tablename, rowsecurity FROM pg_tables WHERE schemaname='public'")
            )
            security = {name: bool(on) for name, on in rows}
    finally:
        await store.close()
    assert version == heads()[0]
    # Every table the models define is migrated, and each has row-level security on
    # (alembic's own bookkeeping table is the only one without it).
    security.pop("alembic_version")
    assert set(security) == {*Base.metadata.tables, *SCHEDULER_METADATA.tables}
    assert [name for name, on in security.items() if not on] == []
