"""``frontdesk usage``: what a tenant's calls cost in a month, against its budget."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer

from ..cli_settings import settings_or_exit
from ..errors import FrontdeskError
from ..tenants import Tenant, TenantRegistry
from .allowance import month_start

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _since(tenant: Tenant, month: str | None) -> datetime:
    now = datetime.now(UTC)
    if month is None:
        return month_start(now, tenant.tz)
    if not MONTH.match(month):
        typer.echo(f"frontdesk usage: --month {month!r}: write it as YYYY-MM", err=True)
        raise typer.Exit(2)
    year, number = (int(x) for x in month.split("-"))
    return datetime(year, number, 1, tzinfo=tenant.tz)


def usage(
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM in the tenant's timezone (default: this month)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
) -> None:
    """What a tenant's calls cost in a month (STT audio, TTS characters, LLM tokens,
    priced from the price table), by provider, against its budget."""
    from ..store.engine import Store
    from ..store.migrate import ensure_embedded_schema
    from ..store.tables import Usage
    from ..store.usage import tenant_usage

    settings = settings_or_exit("frontdesk", check_keys=False)
    try:
        found = TenantRegistry(settings.tenants_dir).get(tenant)
    except FrontdeskError as e:
        typer.echo(f"frontdesk usage: {e}", err=True)
        raise typer.Exit(1) from e
    since = _since(found, month)
    until = since.replace(year=since.year + since.month // 12, month=since.month % 12 + 1)

    async def go() -> Sequence[Usage]:
        store = Store.open(settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                return [r for r in await tenant_usage(s, found.id, since) if r.at < until]
        finally:
            await store.close()

    rows = asyncio.run(go())
    by_model: dict[str, dict[str, float]] = {}
    for r in rows:
        entry = by_model.setdefault(f"{r.kind} {r.provider}/{r.model}", {"cost_usd": 0.0})
        entry["cost_usd"] += r.cost_usd
        for unit in ("audio_seconds", "characters", "tokens_in", "tokens_out"):
            entry[unit] = entry.get(unit, 0) + getattr(r, unit)
    budget = found.config.budget
    report = {
        "tenant": found.id,
        "month": since.strftime("%Y-%m"),
        "calls": len({r.call_id for r in rows}),
        "cost_usd": round(sum(r.cost_usd for r in rows), 6),
        "monthly_budget_usd": budget.monthly_usd,
        "per_call_budget_usd": budget.per_call_usd,
        "by_model": by_model,
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    cap = f" of {budget.monthly_usd:.2f}" if budget.monthly_usd is not None else ""
    typer.echo(
        f"{found.id} {report['month']}: {report['calls']} calls, {report['cost_usd']:.4f}{cap} USD"
    )
    for name, entry in sorted(by_model.items()):
        units = ", ".join(f"{k} {v:g}" for k, v in entry.items() if k != "cost_usd" and v)
        typer.echo(f"  {name}: {entry['cost_usd']:.4f} USD ({units or 'no units'})")
