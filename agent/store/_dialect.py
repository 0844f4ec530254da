"""The one place that knows SQL dialects differ: ``INSERT ... ON CONFLICT`` builders."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """A dialect ``insert()`` for ``table`` that supports ``on_conflict_do_*``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the call store supports sqlite and postgresql, not {name}")


async def affected(session: AsyncSession, stmt: Any) -> int:
    """Execute an INSERT/UPDATE/DELETE and return how many rows it changed."""
    result = cast(CursorResult[Any], await session.execute(stmt))
    return int(result.rowcount)
