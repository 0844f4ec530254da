"""``supabase/migrations/``: the Postgres SQL of the same Alembic migrations (with their
row-level security), one file per revision, so ``supabase db push`` sets up a Supabase
project and later applies only the revisions it has not seen.

Regenerate with ``uv run python -m agent.store.supabase_sql``; a unit test checks the
committed files are current."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from ..config import ROOT
from .engine import normalize_url
from .migrate import alembic_config

SUPABASE_MIGRATIONS = ROOT / "supabase" / "migrations"
HEADER = (
    "-- Generated from agent/store/migrations/versions/{file} by\n"
    "-- `python -m agent.store.supabase_sql`. Do not edit: change the Alembic migration.\n\n"
)
URL = normalize_url("postgresql://supabase@localhost/postgres")


def render() -> dict[str, str]:
    """File name -> SQL, one per revision, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(scripts.walk_revisions())))
    files: dict[str, str] = {}
    for n, rev in enumerate(revisions, start=1):
        out = io.StringIO()
        span = f"{rev.down_revision}:{rev.revision}" if rev.down_revision else rev.revision
        command.upgrade(alembic_config(URL, stdout=out), span, sql=True)
        name = f"20260101{n:06d}_frontdesk_{rev.revision}.sql"
        files[name] = HEADER.format(file=Path(rev.path).name) + out.getvalue()
    return files


def write(directory: Path = SUPABASE_MIGRATIONS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sql in render().items():
        path = directory / name
        path.write_text(sql, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(path)
