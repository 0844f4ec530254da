"""``frontdesk qr`` (a campaign's QR code) and ``frontdesk campaigns stats``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from ..cli_settings import settings_or_exit
from ..errors import FrontdeskError
from ..tenants import TenantRegistry
from .qr import QrKind, qr_code, widget_url
from .sessions import find_campaign

campaigns_app = typer.Typer(help="Web campaigns: visits, calls and leads.", no_args_is_help=True)


def _check_campaign(tenant: str, campaign: str) -> None:
    settings = settings_or_exit("frontdesk", check_keys=False)
    try:
        find_campaign(TenantRegistry(settings.tenants_dir), tenant, campaign)
    except FrontdeskError as e:
        typer.echo(f"frontdesk: {e}", err=True)
        raise typer.Exit(1) from e


def qr(
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    campaign: Annotated[str, typer.Option(help="A campaign of the tenant's routing.campaigns")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write an .svg or .png file")
    ] = None,
) -> None:
    """Print a campaign's widget address and write its QR code (SVG or PNG).

    The address starts with FRONTDESK_PUBLIC_URL: set it to where phones reach the
    dispatcher (over HTTPS: browsers give the microphone only to secure pages).
    """
    settings = settings_or_exit("frontdesk", check_keys=False)
    _check_campaign(tenant, campaign)
    url = widget_url(settings, tenant, campaign)
    if settings.public_url is None:
        typer.echo(
            "frontdesk qr: FRONTDESK_PUBLIC_URL is not set, so the code points at this "
            "machine's loopback address, which a phone cannot open",
            err=True,
        )
    if output is None:
        typer.echo(url)
        return
    kind = output.suffix.lower().lstrip(".")
    if kind not in ("svg", "png"):
        typer.echo(f"frontdesk qr: {output}: write a .svg or .png file", err=True)
        raise typer.Exit(2)
    qr_kind: QrKind = "svg" if kind == "svg" else "png"
    output.write_bytes(qr_code(url, qr_kind))
    typer.echo(f"{url}\nwritten to {output}")


@campaigns_app.command("stats")
def stats(
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    campaign: Annotated[str, typer.Option(help="Campaign id")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """A campaign's visits (widget calls asked for), calls taken and leads."""
    from ..store.engine import Store
    from ..store.migrate import ensure_embedded_schema
    from ..store.visits import CampaignStats, campaign_stats

    settings = settings_or_exit("frontdesk", check_keys=False)
    _check_campaign(tenant, campaign)

    async def go() -> CampaignStats:
        store = Store.open(settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                return await campaign_stats(s, tenant, campaign)
        finally:
            await store.close()

    try:
        found = asyncio.run(go())
    except FrontdeskError as e:
        typer.echo(f"frontdesk: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        typer.echo(json.dumps(found.as_dict()))
        return
    typer.echo(
        f"{tenant} / {campaign}: {found.visits} visits, {found.calls} calls "
        f"({found.completed_calls} completed), {found.leads} leads"
    )
