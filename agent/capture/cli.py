"""``frontdesk db flush-spool`` and ``frontdesk retention``: the capture's commands, on
the store's command helpers (:mod:`agent.store.cli`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..store.cli import command_settings, with_store
from ..store.engine import Store

if TYPE_CHECKING:
    from .writer import DeadLetters

retention_app = typer.Typer(help="Recording retention.", no_args_is_help=True)


def flush_spool(
    retry_refused: Annotated[
        bool,
        typer.Option(
            "--retry-refused", help="write the dead letters (refused records) again first"
        ),
    ] = False,
) -> None:
    """Write spooled records of earlier calls (the store was down) to the store, and
    report the records it refused (kept in the dead-letter files)."""
    from ..store.usage import load_prices
    from . import spool
    from .writer import DeadLetters

    settings = command_settings()
    directory = spool.spool_dir(settings.data_dir)
    dead = DeadLetters(directory)

    async def work(store: Store) -> list[str]:
        prices = await asyncio.to_thread(load_prices, settings.prices_file)
        if retry_refused:
            await _requeue_dead_letters(dead, directory)
        return await spool.recover(store, directory, prices)

    finished = with_store(settings, work)
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


@retention_app.command("run")
def retention_run() -> None:
    """Delete recordings past their expiry, and their rows."""
    from .audio import in_progress_dir
    from .retention import RetentionRun, run_retention, sweep_orphans
    from .storage import storages

    settings = command_settings()

    async def work(store: Store) -> RetentionRun:
        return await run_retention(store, storages(settings))

    done = with_store(settings, work)
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
