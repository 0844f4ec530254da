"""Integration fixtures of the call store: one real PostgreSQL for the session, and a
``store_url`` parametrized over a fresh Postgres database and a fresh SQLite file."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from tests.pg import PostgresServer, postgres_bin_dir

_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL is not installed: run .ci/bootstrap (Debian package postgresql)")
    # pytest's temporary folders are private to root; postgres runs as another user
    root = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    server = PostgresServer(root / "pg", bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"t{next(_db_numbers)}"
        await asyncio.to_thread(server.psql, f"CREATE DATABASE {name}")
        url = server.url(name)
    await asyncio.to_thread(upgrade, normalize_url(url))
    return url
