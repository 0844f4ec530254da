"""``frontdesk tenant check|schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FrontdeskError, KnowledgeError
from .check import check_tenants, scoring_warnings, webhook_findings
from .load import load_tenant
from .model import tenant_json_schema

tenant_app = typer.Typer(help="Check tenant folders and export their schema.", no_args_is_help=True)


def _settings() -> Settings:
    return settings_or_exit("frontdesk tenant")


@tenant_app.command()
def check(
    tenant: Annotated[str | None, typer.Argument(help="tenant id (default: every tenant)")] = None,
) -> None:
    """Validate tenants and their references (flow, prompts, templates, knowledge files
    and eval set)."""
    from ..knowledge.evaluate import eval_problems
    from ..knowledge.ingest import document_problems

    def knowledge(folder: Path) -> list[KnowledgeError]:
        return document_problems(folder) + eval_problems(folder.parent / "eval.yaml")

    settings = _settings()
    results = check_tenants(
        settings.tenants_dir,
        settings.flows_dir,
        None if tenant is None else [tenant],
        knowledge=knowledge,
    )
    if not results:
        typer.echo(f"frontdesk tenant check: no tenants in {settings.tenants_dir}", err=True)
        raise typer.Exit(1)
    for tenant_id, problems in results.items():
        typer.echo(f"{tenant_id}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            typer.echo(f"  {problem}")
        if not problems or any("webhook" in p for p in problems):
            try:
                loaded = load_tenant(settings.tenants_dir, tenant_id)
            except FrontdeskError:
                continue
            warnings = webhook_findings(loaded)[1]
            if not problems:
                warnings = scoring_warnings(loaded, settings.flows_dir) + warnings
            for warning in warnings:
                typer.echo(f"  warning: {warning}")
    raise typer.Exit(1 if any(results.values()) else 0)


@tenant_app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", help="write here (tenants/schema.json)")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of tenant files, for editors and CI."""
    text = json.dumps(tenant_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
