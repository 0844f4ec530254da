"""``frontdesk sip sync|show``: provision LiveKit's SIP service from the tenant files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, TypeVar

import httpx
import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..control.dispatch import livekit_api
from ..errors import FrontdeskError
from .plan import load_all_tenants, plan_for
from .sync import Change, describe, managed_rules, managed_trunks, sync

sip_app = typer.Typer(
    help="Phone numbers: provision livekit-sip's trunks and dispatch rules.", no_args_is_help=True
)
T = TypeVar("T")


def _run(command: str, work: Callable[[Settings], Coroutine[object, object, T]]) -> T:
    name = f"frontdesk {command}" if command == "dial" else f"frontdesk sip {command}"
    settings = settings_or_exit(name, check_keys=False)
    try:
        return asyncio.run(work(settings))
    except FrontdeskError as e:
        typer.echo(f"{name}: {e}", err=True)
        raise typer.Exit(1) from e
    except OSError as e:  # aiohttp's connection errors are OSErrors
        typer.echo(
            f"{name}: cannot reach LiveKit at {settings.livekit_url} ({e}); "
            "is the stack up (`frontdesk up`)?",
            err=True,
        )
        raise typer.Exit(1) from e


async def sync_now(settings: Settings) -> list[Change]:
    """Provision the SIP service from the tenant files (``frontdesk sip sync``)."""
    plan = plan_for(settings, await asyncio.to_thread(load_all_tenants, settings))
    lkapi = livekit_api(settings)
    try:
        return await sync(lkapi, plan)
    finally:
        await lkapi.aclose()


@sip_app.command("sync")
def sync_command(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print changes only")] = False,
) -> None:
    """Create, update or delete the inbound trunks and dispatch rules so that each
    tenant's routing.phone_numbers reach its flow. Running it again changes nothing."""

    async def work(settings: Settings) -> None:
        changes = await sync_now(settings)
        for change in changes:
            if change.action != "unchanged" or not quiet:
                typer.echo(f"{change.action:>9} {change.kind} {change.name} ({change.id})")
        made = sum(c.action != "unchanged" for c in changes)
        typer.echo(f"{made} change(s)" if made else "already in sync")

    _run("sync", work)


@sip_app.command("show")
def show_command() -> None:
    """List the trunks and dispatch rules Frontdesk manages in LiveKit."""

    async def work(settings: Settings) -> None:
        lkapi = livekit_api(settings)
        try:
            trunks, rules = await managed_trunks(lkapi), await managed_rules(lkapi)
        finally:
            await lkapi.aclose()
        for line in describe(trunks, rules) or ["nothing provisioned: run `frontdesk sip sync`"]:
            typer.echo(line)

    _run("show", work)


def dial(
    number: Annotated[str, typer.Argument(help="The number to call, E.164 (+15550001234)")],
    tenant: Annotated[str, typer.Option(help="Tenant calling (its phone flow answers)")] = (
        "crumb-and-co"
    ),
    at: Annotated[
        str | None,
        typer.Option(
            help="Ring later: ISO 8601 with an offset, or +10m; within the tenant's calling "
            "hours (the dispatcher schedules it)"
        ),
    ] = None,
    dispatcher: Annotated[
        str | None, typer.Option(help="With --at: the dispatcher's URL (default: this machine's)")
    ] = None,
) -> None:
    """Phone NUMBER for a tenant through the outbound trunk (the stack must be up and
    `frontdesk sip sync` run with FRONTDESK_SIP_OUTBOUND_ADDRESS set). Prints the room and
    the outcome: answered, busy, no-answer, rejected or failed (with the SIP status);
    exits 1 when the call was not answered. With --at, the dispatcher rings it later
    (moved to the next calling hours if need be): prints when, and the call's id."""
    from ..tenants import load_tenant
    from .outbound import dial_out

    if at is not None:
        schedule(number, tenant, at, dispatcher)
        return

    async def work(settings: Settings) -> bool:
        loaded = await asyncio.to_thread(load_tenant, settings.tenants_dir, tenant)
        lkapi = livekit_api(settings)
        try:
            placed = await dial_out(lkapi, settings, tenant=loaded, to=number)
        finally:
            await lkapi.aclose()
        status = f" (SIP {placed.sip_status})" if placed.sip_status else ""
        typer.echo(f"{placed.to}: {placed.outcome}{status}; room {placed.room}")
        return placed.outcome == "answered"

    if not _run("dial", work):
        raise typer.Exit(1)


def schedule(number: str, tenant: str, at: str, dispatcher: str | None) -> None:
    """``frontdesk dial --at``: ask the dispatcher (it owns the scheduler) over HTTP."""
    from ..meetings.cli import parse_start

    when = parse_start(at, option="--at")
    if dispatcher is None:
        settings = settings_or_exit("frontdesk dial", check_keys=False)
        dispatcher = f"http://{settings.dispatcher_host}:{settings.dispatcher_port}"
    url = f"{dispatcher.rstrip('/')}/v1/calls"
    body = {"tenant": tenant, "phone_number": number, "at": when.isoformat()}
    try:
        answer = httpx.post(url, json=body, timeout=30)
    except httpx.HTTPError as e:
        typer.echo(f"frontdesk dial: the dispatcher at {url} did not answer: {e}", err=True)
        raise typer.Exit(1) from e
    data = answer.json()
    if answer.is_error:
        typer.echo(f"frontdesk dial: {data.get('error', answer.text)}", err=True)
        raise typer.Exit(2)
    moved = (
        f" (moved from {data['requested_at']}: outside the calling hours)" if data["moved"] else ""
    )
    typer.echo(
        f"{data['phone_number']}: scheduled {data['id']}, rings at {data['rings_at']}{moved}"
    )
