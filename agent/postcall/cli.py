"""``frontdesk postcall replay ID`` and ``frontdesk outbox run|list|retry``."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FrontdeskError
from ..logs import setup_logging

if TYPE_CHECKING:
    from ..store import Store

postcall_app = typer.Typer(help="Run the post-call pipeline again.", no_args_is_help=True)
outbox_app = typer.Typer(help="Deliver and inspect notifications.", no_args_is_help=True)


def _settings() -> Settings:
    settings = settings_or_exit("frontdesk")
    setup_logging(settings)
    return settings


async def _open_store(settings: Settings) -> Store:
    """The settings' store; the embedded SQLite file is created and migrated if need be."""
    from ..store import Store
    from ..store.migrate import ensure_embedded_schema

    store = Store.open(settings)
    await ensure_embedded_schema(store.engine.url)
    return store


def _fail(command: str, error: FrontdeskError) -> typer.Exit:
    typer.echo(f"frontdesk {command}: {error}", err=True)
    return typer.Exit(1)


@postcall_app.command()
def replay(
    call_id: Annotated[str, typer.Argument(help="the call's id (see `frontdesk calls list`)")],
    deliver: Annotated[bool, typer.Option(help="deliver due notifications now")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Analyse, score and notify for a stored call again; nothing is sent twice."""
    from .pipeline import process_call

    settings = _settings()
    try:
        result = asyncio.run(process_call(call_id, settings=settings, deliver=deliver))
    except FrontdeskError as e:
        raise _fail("postcall replay", e) from e
    outcome, score = result.outcome, result.scored.score
    report = {
        "call_id": call_id,
        "analysis_id": result.analysis_id,
        "method": outcome.method,
        "error": outcome.error,
        "call_type": outcome.analysis.call_type,
        "fields": outcome.analysis.fields,
        "sentiment": outcome.analysis.sentiment,
        "lead": None
        if result.scored.contact is None
        else {
            "contact": result.scored.contact.key,
            "score": score.score,
            "priority": score.priority,
        },
        "enqueued": list(result.enqueued),
        "delivered": result.delivery.delivered if result.delivery else 0,
        "failed": result.delivery.failed if result.delivery else 0,
    }
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"call {call_id}: {outcome.method} analysis #{result.analysis_id}")
    if outcome.error:
        typer.echo(f"  fell back: {outcome.error}")
    typer.echo(
        f"  type {outcome.analysis.call_type or '-'}, sentiment {outcome.analysis.sentiment:+.2f}"
    )
    typer.echo(f"  summary: {outcome.analysis.summary}")
    if result.scored.contact is not None:
        typer.echo(f"  lead {result.scored.contact.key}: {score.score} ({score.priority})")
    typer.echo(
        f"  notifications: {len(result.enqueued)} new, {report['delivered']} delivered, "
        f"{report['failed']} failed"
    )


async def _run(settings: Settings, *, forever: bool, batch: int) -> tuple[int, int, int, int]:
    from ..capture.sweeper import SpoolSweeper
    from ..tenants import TenantRegistry
    from ..tenants.check import report_webhooks
    from .channels import build_channels
    from .outbox import OutboxProcessor, RetryPolicy
    from .pipeline import process_call

    store = await _open_store(settings)
    await asyncio.to_thread(report_webhooks, TenantRegistry(settings.tenants_dir))
    processor = OutboxProcessor(
        store, build_channels(settings), policy=RetryPolicy.from_settings(settings), batch=batch
    )

    async def postcall(call_id: str) -> None:  # this processor delivers what it enqueues
        await process_call(call_id, settings=settings, store=store, deliver=False)

    try:
        if not forever:
            stats = await processor.drain()
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            # calls whose store was down past their end: flushed, finalized, analysed
            sweeper = asyncio.create_task(SpoolSweeper(settings, store, postcall).run(stop))
            stats = await processor.run_forever(stop, poll_s=settings.outbox_poll_s)
            await sweeper
    finally:
        await store.close()
    return stats.delivered, stats.retried, stats.failed, stats.timed_out


@outbox_app.command()
def run(
    forever: Annotated[
        bool, typer.Option("--forever", help="keep polling until Ctrl-C or SIGTERM")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=500, help="rows claimed at a time")] = 20,
) -> None:
    """Deliver due notifications (once, or as a long-running processor with --forever).

    Any number of processors may run at once: each row is claimed by one of them."""
    settings = _settings()
    try:
        delivered, retried, failed, timed_out = asyncio.run(
            _run(settings, forever=forever, batch=batch)
        )
    except FrontdeskError as e:
        raise _fail("outbox run", e) from e
    late = f" ({timed_out} timed out)" if timed_out else ""
    typer.echo(f"delivered {delivered}, to retry {retried}, failed {failed}{late}")


async def _list(
    settings: Settings, status: str | None, tenant: str | None, limit: int
) -> list[dict[str, object]]:
    from ..store.postcall import list_outbox

    store = await _open_store(settings)
    try:
        async with store.transaction() as s:
            rows = await list_outbox(s, status=status, tenant=tenant, limit=limit)
            return [
                {
                    "id": r.id,
                    "call_id": r.call_id,
                    "tenant": r.tenant,
                    "channel": r.channel,
                    "target": r.target,
                    "template": r.template,
                    "status": r.status,
                    "attempts": r.attempts,
                    "timeouts": r.timeouts,
                    "next_attempt_at": r.next_attempt_at.isoformat(),
                    "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
                    "last_error": r.last_error,
                }
                for r in rows
            ]
    finally:
        await store.close()


@outbox_app.command("list")
def list_rows(
    status: Annotated[
        str | None, typer.Option(help="pending, sending, delivered or failed")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="only this tenant")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """The newest notifications, with their status and last error."""
    settings = _settings()
    try:
        rows = asyncio.run(_list(settings, status, tenant, limit))
    except FrontdeskError as e:
        raise _fail("outbox list", e) from e
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row))
            continue
        what = f"{row['channel']}:{row['template'] or 'call.analyzed'}"
        line = (
            f"#{row['id']:<5} {row['status']:<9} {what:<30} {row['target']}  "
            f"call {row['call_id']}  attempts {row['attempts']}"
            + (f", {row['timeouts']} timed out" if row["timeouts"] else "")
        )
        typer.echo(
            line + (f"\n       last error: {row['last_error']}" if row["last_error"] else "")
        )


async def _retry(settings: Settings, ids: list[int]) -> int:
    from ..store.postcall import requeue_failed

    store = await _open_store(settings)
    try:
        async with store.transaction() as s:
            return await requeue_failed(s, ids or None)
    finally:
        await store.close()


@outbox_app.command()
def retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="row ids (default: every failed row)")
    ] = None,
) -> None:
    """Make failed notifications due again (after fixing their cause), then `outbox run`."""
    settings = _settings()
    try:
        count = asyncio.run(_retry(settings, ids or []))
    except FrontdeskError as e:
        raise _fail("outbox retry", e) from e
    typer.echo(f"requeued {count} failed notification(s)")
