"""``supabase/migrations/``: the Postgres SQL of the same Alembic migrations (with their
row-level security), so ``supabase db push`` sets up a Supabase project.

Regenerate with ``uv run python -m agent.store.supabase_sql``; a unit test checks the
committed file is current."""

from __future__ import annotations

from pathlib import Path

from ..config import ROOT
from .engine import normalize_url
from .migrate import offline_sql

SUPABASE_MIGRATION = ROOT / "supabase" / "migrations" / "20260101000000_frontdesk_store.sql"
HEADER = (
    "-- Generated from agent/store/migrations by `python -m agent.store.supabase_sql`.\n"
    "-- Do not edit: change the Alembic migrations and regenerate.\n\n"
)


def render() -> str:
    return HEADER + offline_sql(normalize_url("postgresql://supabase@localhost/postgres"))


def write(path: Path = SUPABASE_MIGRATION) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write())
