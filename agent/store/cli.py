"""``frontdesk db`` and ``frontdesk calls``: the store's commands, and the helpers the
commands of the layers above it use (:func:`command_settings`, :func:`with_store`).

``db flush-spool`` and ``retention`` are the capture's (:mod:`agent.capture.cli`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FrontdeskError
from .engine import Store, database_url

T = TypeVar("T")

db_app = typer.Typer(help="The call store: migrations and the spool.", no_args_is_help=True)
calls_app = typer.Typer(help="Stored calls.", no_args_is_help=True)


def command_settings() -> Settings:
    """The settings a command runs with (no API keys needed); exits 1 on bad ones."""
    return settings_or_exit("frontdesk", check_keys=False)


def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``work`` on an open store; a FrontdeskError exits 1 with its message."""

    async def go() -> T:
        store = Store.open(settings)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(go())
    except FrontdeskError as e:
        typer.echo(f"frontdesk: {e}", err=True)
        raise typer.Exit(1) from e


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Create or migrate the store's tables (SQLite file, or DATABASE_URL)."""
    from .migrate import upgrade

    settings = command_settings()
    url = database_url(settings)
    upgrade(url, revision)
    typer.echo(f"store at {url.render_as_string(hide_password=True)} is at {revision}")


@db_app.command("sql")
def db_sql() -> None:
    """Print the Postgres SQL of all migrations (what supabase/migrations holds)."""
    from .supabase_sql import render

    for sql in render().values():
        typer.echo(sql, nl=False)


@calls_app.command("list")
def calls_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's calls")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array")] = False,
) -> None:
    """List stored calls, newest first."""
    from .calls import list_calls
    from .report import row_dict

    async def work(store: Store) -> list[dict[str, Any]]:
        async with store.transaction() as s:
            return [row_dict(c) for c in await list_calls(s, tenant=tenant, limit=limit)]

    rows = with_store(command_settings(), work)
    if as_json:
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    for r in rows:
        duration = f"{r['duration_s']:.0f}s" if r["duration_s"] is not None else "-"
        typer.echo(
            f"{r['id']}  {r['started_at']:%Y-%m-%d %H:%M}  {r['tenant']:<16} {r['source']:<7} "
            f"{r['status']:<9} {duration:>6}  end={r['end_node'] or '-'}"
        )
    if not rows:
        typer.echo("no calls stored")


@calls_app.command("show")
def calls_show(
    call_id: Annotated[str, typer.Argument(help="Call id (or room name)")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """A call's transcript, flow path, analysis, lead, notifications and cost."""
    from .report import call_report
    from .show import format_report

    async def work(store: Store) -> dict[str, Any] | None:
        async with store.transaction() as s:
            report = await call_report(s, call_id)
            return report.as_dict() if report is not None else None

    data = with_store(command_settings(), work)
    if data is None:
        typer.echo(f"frontdesk calls show: no call {call_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(data, default=str, indent=2) if as_json else format_report(data))
