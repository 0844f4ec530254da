"""``frontdesk db``, ``frontdesk calls`` and ``frontdesk retention``: the store's commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FrontdeskError
from .engine import Store, database_url

if TYPE_CHECKING:
    from ..capture.writer import DeadLetters

T = TypeVar("T")

db_app = typer.Typer(help="The call store: migrations and the spool.", no_args_is_help=True)
calls_app = typer.Typer(help="Stored calls.", no_args_is_help=True)
retention_app = typer.Typer(help="Recording retention.", no_args_is_help=True)


def _settings() -> Settings:
    return settings_or_exit("frontdesk", check_keys=False)


def _with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
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

    settings = _settings()
    url = database_url(settings)
    upgrade(url, revision)
    typer.echo(f"store at {url.render_as_string(hide_password=True)} is at {revision}")


@db_app.command("sql")
def db_sql() -> None:
    """Print the Postgres SQL of all migrations (what supabase/migrations holds)."""
    from .supabase_sql import render

    for sql in render().values():
        typer.echo(sql, nl=False)


@db_app.command("flush-spool")
def db_flush_spool(
    retry_refused: Annotated[
        bool,
        typer.Option(
            "--retry-refused", help="write the dead letters (refused records) again first"
        ),
    ] = False,
) -> None:
    """Write spooled records of earlier calls (the store was down) to the store, and
    report the records it refused (kept in the dead-letter files)."""
    from ..capture import spool
    from ..capture.writer import DeadLetters
    from .usage import load_prices

    settings = _settings()
    directory = spool.spool_dir(settings.data_dir)
    dead = DeadLetters(directory)

    async def work(store: Store) -> list[str]:
        prices = await asyncio.to_thread(load_prices, settings.prices_file)
        if retry_refused:
            await _requeue_dead_letters(dead, directory)
        return await spool.recover(store, directory, prices)

    finished = _with_store(settings, work)
    typer.echo(f"flushed the spools; {len(finished)} call(s) finalized from them")
    for call_id in finished:
        typer.echo(f"  {call_id}: run `frontdesk postcall replay {call_id}` for its post-call")
    left = sorted(p.name for p in directory.glob("*.jsonl")) if directory.is_dir() else []
    if left:
        typer.echo(f"{len(left)} spool file(s) still wait for the store: {', '.join(left)}")
    refused = dead.files()
    if refused:
        total = sum(f.count for f in refused)
        typer.echo(
            f"{total} record(s) refused by the store, kept in {dead.directory} "
            "(fix the cause, then run `frontdesk db flush-spool --retry-refused`):"
        )
    for letters in refused:
        ops = ", ".join(sorted(letters.ops))
        typer.echo(
            f"  {letters.call_id}: {letters.count} refused record(s) ({ops}) in {letters.path}"
        )
        typer.echo(f"    last error: {letters.last_error}")


async def _requeue_dead_letters(dead: DeadLetters, directory: Path) -> None:
    """Put the dead letters back in the spool (a file of their own per call)."""

    def move() -> None:
        for letters in dead.files():
            lines = dead.take(letters.path)
            target = directory / f"{letters.path.stem}.refused.jsonl"
            with target.open("a", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))

    await asyncio.to_thread(move)


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

    rows = _with_store(_settings(), work)
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

    data = _with_store(_settings(), work)
    if data is None:
        typer.echo(f"frontdesk calls show: no call {call_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(data, default=str, indent=2) if as_json else format_report(data))


@retention_app.command("run")
def retention_run() -> None:
    """Delete recordings past their expiry, and their rows."""
    from ..capture.audio import in_progress_dir
    from ..capture.retention import RetentionRun, run_retention, sweep_orphans
    from ..capture.storage import storages

    settings = _settings()

    async def work(store: Store) -> RetentionRun:
        return await run_retention(store, storages(settings))

    done = _with_store(settings, work)
    typer.echo(f"deleted {done.deleted} expired recording(s)")
    if done.not_configured:
        typer.echo(f"{done.not_configured} recording(s) in a storage not configured here: left")
    if done.not_owned:
        typer.echo(
            f"{done.not_owned} recording(s) outside the recordings root or bucket: "
            "not deleted (their rows are left for you to check)"
        )
    orphans = sweep_orphans(in_progress_dir(settings.data_dir))
    if orphans:
        typer.echo(f"deleted {orphans} unfinished recording(s) left by stopped workers")
