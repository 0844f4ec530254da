"""Run the store's Alembic migrations from code (``frontdesk db upgrade``, tests)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: URL | None = None, *, stdout: io.StringIO | None = None) -> Config:
    config = Config(output_buffer=stdout, stdout=stdout) if stdout is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade(url: URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (blocking: run it off the event loop)."""
    command.upgrade(alembic_config(url), revision)


def offline_sql(url: URL, revision: str = "head") -> str:
    """The SQL that upgrading an empty database of ``url``'s dialect would run."""
    out = io.StringIO()
    command.upgrade(alembic_config(url, stdout=out), revision, sql=True)
    return out.getvalue()


def heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


_ready: set[str] = set()
_upgrading = threading.Lock()  # two first uses at once must not both migrate


async def ensure_embedded_schema(url: URL) -> None:
    """The embedded SQLite store needs no setup: bring it to head once per process.
    (Postgres is migrated on purpose, with ``frontdesk db upgrade``.)"""
    import asyncio

    key = url.render_as_string(hide_password=False)
    if url.get_backend_name() != "sqlite" or key in _ready:
        return
    await asyncio.to_thread(_upgrade_once, url, key)


def _upgrade_once(url: URL, key: str) -> None:
    with _upgrading:
        if key not in _ready:
            upgrade(url)
            _ready.add(key)
