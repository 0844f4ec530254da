"""Open the call store: a SQLite file under the data dir by default, Postgres by URL.

``DATABASE_URL`` may be written the way Postgres tools and Supabase print it
(``postgres://`` or ``postgresql://``, with ``sslmode``); it is mapped to SQLAlchemy's
asyncpg driver. SQLite runs in WAL mode, and each of its transactions begins
``IMMEDIATE`` so that two writers never both read and then fight over the write lock
(that is what makes the outbox claim safe across processes on SQLite).

Errors leave the store as the error tree's :class:`~agent.errors.StoreRefused` (this
record can never be written) or :class:`~agent.errors.StoreUnavailable` (try again
later), never as SQLAlchemy's or a driver's (see :mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ..config import Settings
from ..errors import ConfigError
from .errors import store_error

SQLITE_FILE = "frontdesk.db"


def sqlite_url(data_dir: Path) -> URL:
    return URL.create("sqlite+aiosqlite", database=str(data_dir / SQLITE_FILE))


def database_url(settings: Settings) -> URL:
    """The SQLAlchemy URL for these settings (SQLite file unless DATABASE_URL is set)."""
    if settings.database_url is None:
        return sqlite_url(settings.data_dir)
    return normalize_url(settings.database_url.get_secret_value())


def normalize_url(raw: str) -> URL:
    """Map postgres:// and postgresql:// (and sqlite://) to the async drivers."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as e:
        raise ConfigError(f"DATABASE_URL: not a database URL ({e})") from e
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+asyncpg")
        query = dict(url.query)
        sslmode = query.pop("sslmode", None)
        if sslmode is not None and "ssl" not in query:
            query["ssl"] = sslmode
        return url.set(query=query)
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise ConfigError(
        f"DATABASE_URL: unsupported database {backend!r}; use postgresql://... or sqlite:///path"
    )


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for(url: URL, *, connect_timeout_s: float = 5.0) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        if url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"timeout": connect_timeout_s, "command_timeout": 30},
    )


@dataclass
class Store:
    """An engine and its session factory. Repository functions take the session."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls.from_url(database_url(settings))

    @classmethod
    def from_url(cls, url: URL | str) -> Store:
        url = normalize_url(url) if isinstance(url, str) else url
        engine = create_engine_for(url)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on error. A database
        error becomes :class:`StoreRefused` or :class:`StoreUnavailable`."""
        try:
            async with self.sessions() as session, session.begin():
                yield session
        except (SQLAlchemyError, OSError, TimeoutError) as e:
            raise store_error(e) from e

    async def ping(self) -> None:
        """Ask the store a trivial question: a :class:`StoreError` when it does not answer."""
        async with self.transaction() as s:
            await s.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
