"""``frontdesk tenant check|schema|new``."""

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
    settings = _settings()
    results = check_tenants(
        settings.tenants_dir,
        settings.flows_dir,
        None if tenant is None else [tenant],
        knowledge=_knowledge_probe,
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


@tenant_app.command()
def new(
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="lowercase letters, digits, -")],
    *,
    name: Annotated[str | None, typer.Option(help="The business's name, as said")] = None,
    timezone: Annotated[str | None, typer.Option(help="e.g. America/New_York")] = None,
    country: Annotated[
        str | None, typer.Option(help="ISO 3166 code, e.g. US (default: the timezone's)")
    ] = None,
    hours: Annotated[
        str | None, typer.Option(help='e.g. "mon-fri 08:00-17:00; sat 09:00-12:00"')
    ] = None,
    phone: Annotated[
        str | None, typer.Option(help="The number callers dial (routes their calls here)")
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option(help='What you offer, as said: "a cleaning and check-up" (repeatable)'),
    ] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option(
            help="A document (or folder) callers' questions are answered from "
            "(repeatable): .md .txt .html .pdf .docx"
        ),
    ] = None,
    owner_email: Annotated[
        str | None, typer.Option(help="Where call summaries are emailed")
    ] = None,
    language: Annotated[str, typer.Option(help="Speech language")] = "en-US",
    flow: Annotated[str, typer.Option(help="The flow calls run")] = "general_receptionist",
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            help="Ask for what the options leave out (default: when run in a terminal)",
        ),
    ] = None,
) -> None:
    """Create tenants/ID for a new business (asking for what the options leave out),
    then check it: it takes calls at once with the general receptionist flow."""
    import sys

    from ..phones import zone_countries
    from .new import (
        DEFAULT_SERVICES,
        NewTenant,
        check_country,
        check_timezone,
        normalize_phone,
        parse_hours,
        scaffold,
    )

    settings = _settings()
    ask = sys.stdin.isatty() if interactive is None else interactive

    def value(given: str | None, question: str, default: str | None = None) -> str | None:
        if given is not None or not ask:
            return given if given is not None else default
        answer: str = typer.prompt(question, default=default or "", show_default=bool(default))
        return answer.strip() or default

    try:
        the_name = value(name, "Business name (as callers hear it)")
        if not the_name:
            raise ValueError("give the business's name (--name)")
        zone = value(timezone, "Timezone (e.g. America/New_York, Europe/London)", "UTC") or "UTC"
        check_timezone(zone)
        region = value(country, "Country (ISO 3166 code)", zone_countries().get(zone))
        if not region:
            raise ValueError(f"give the country (--country): the timezone {zone!r} does not tell")
        region = check_country(region)
        spec = value(hours, "Opening hours (e.g. mon-fri 09:00-17:00; sat 10:00-14:00)",
                     "mon-fri 09:00-17:00")  # fmt: skip
        number = value(phone, "Phone number callers dial (optional)")
        services = tuple(service or ())
        if not services and ask:
            said = typer.prompt(
                "What you offer, separated by ';' (e.g. a cleaning and check-up; a filling)",
                default="; ".join(DEFAULT_SERVICES),
            )
            services = tuple(s.strip() for s in said.split(";") if s.strip())
        documents = tuple(document or ())
        if not documents and ask:
            folder = typer.prompt(
                "A folder or file of documents to answer questions from (optional)",
                default="",
                show_default=False,
            )
            documents = (Path(folder).expanduser(),) if folder.strip() else ()
        new_tenant = NewTenant(
            id=tenant_id,
            name=the_name,
            timezone=zone,
            country=region,
            hours=parse_hours(spec or ""),
            phone=normalize_phone(number, region) if number else None,
            services=services or DEFAULT_SERVICES,
            documents=documents,
            owner_email=value(owner_email, "Email for call summaries (optional)"),
            language=language,
            flow=flow,
        )
        made = scaffold(settings.tenants_dir, new_tenant)
    except (ValueError, FrontdeskError) as e:
        typer.echo(f"frontdesk tenant new: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"created {made.folder}")
    for path in made.files:
        typer.echo(f"  {path.relative_to(made.folder)}")
    if made.generated_about:
        typer.echo(
            "  (knowledge/about.md was written from your answers: add your own documents "
            "to knowledge/, then `frontdesk kb build --tenant " + tenant_id + "`)"
        )
    problems = check_tenants(
        settings.tenants_dir, settings.flows_dir, [tenant_id], knowledge=_knowledge_probe
    )[tenant_id]
    typer.echo(f"tenant check {tenant_id}: {'ok' if not problems else 'FAILED'}")
    for problem in problems:
        typer.echo(f"  {problem}")
    if problems:
        raise typer.Exit(1)
    typer.echo(f"try it: uv run frontdesk flow chat {flow} --tenant {tenant_id}")


def _knowledge_probe(folder: Path) -> list[KnowledgeError]:
    """A knowledge folder's problems: its documents, and its evaluation set if any."""
    from ..knowledge.evaluate import eval_problems
    from ..knowledge.ingest import document_problems

    return document_problems(folder) + eval_problems(folder.parent / "eval.yaml")
