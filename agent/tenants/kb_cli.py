"""``frontdesk kb search|build``: ask a tenant's knowledge base, or (re)build its index."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FrontdeskError
from ..knowledge.ingest import unsupported_files, unsupported_problem
from .knowledge import knowledge_for
from .load import Tenant, known_tenants, load_tenant

kb_app = typer.Typer(help="Search and build tenants' knowledge bases.", no_args_is_help=True)


def _settings() -> Settings:
    return settings_or_exit("frontdesk kb")


def _tenant(settings: Settings, tenant_id: str) -> Tenant:
    try:
        return load_tenant(settings.tenants_dir, tenant_id)
    except FrontdeskError as e:
        typer.echo(f"frontdesk kb: {e}", err=True)
        raise typer.Exit(1) from e


@kb_app.command()
def search(
    question: Annotated[str, typer.Argument(help="what a caller asks")],
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="tenant id")],
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="passages to return")] = 3,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="one JSON object: question, confidence, threshold, answers (whether the "
            "answer node would say it), answer (the spoken answer), withheld (why not), "
            "options (the topics it would ask about) and passages "
            "[{text, score, source, heading}]",
        ),
    ] = False,
) -> None:
    """Print the confidence, the spoken answer and the passages that best answer
    QUESTION, best first."""
    settings = _settings()
    the_tenant = _tenant(settings, tenant)
    kb = knowledge_for(the_tenant, embeddings=settings.kb_embeddings)
    result = kb.search(question, k)
    if as_json:
        found = {
            "question": question,
            "confidence": result.confidence,
            "threshold": kb.threshold,
            "answers": result.says(kb.threshold),
            "answer": result.answer,
            "withheld": result.withheld,
            "options": [{"topic": o.topic, "answer": o.answer} for o in result.options],
            "passages": [
                {"text": p.text, "score": p.score, "source": p.source, "heading": p.heading}
                for p in result.passages
            ],
        }
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    verdict = "answers" if result.says(kb.threshold) else "no answer"
    if result.confidence < kb.threshold:
        verdict = "below threshold"
    typer.echo(f"confidence {result.confidence:.2f} ({verdict}, threshold {kb.threshold})")
    if result.withheld:
        typer.echo(f"withheld: {result.withheld}")
    if result.options:
        typer.echo(f"asks which: {' or '.join(o.topic for o in result.options)}")
    typer.echo(f"spoken answer: {result.answer or '(none)'}")
    for rank, p in enumerate(result.passages, 1):
        where = f"{p.source}" + (f" > {p.heading}" if p.heading else "")
        typer.echo(f"\n{rank}. [{p.score:.2f}] {where}\n   {p.text}")
    for problem in _skipped(the_tenant, kb.problems):
        typer.echo(f"skipped: {problem}", err=True)


def _skipped(tenant: Tenant, problems: list[str]) -> list[str]:
    """The documents the index skipped, and the files of types no reader takes."""
    return problems + [str(unsupported_problem(p)) for p in unsupported_files(tenant.knowledge_dir)]


@kb_app.command()
def build(
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="tenant id (default: every tenant)")
    ] = None,
) -> None:
    """Build (or load) each tenant's index; exit 1 when a document could not be read, a
    file is of a type no reader takes, or a tenant's index has no chunks at all."""
    settings = _settings()
    failed = False
    for tenant_id in [tenant] if tenant else known_tenants(settings.tenants_dir):
        the_tenant = _tenant(settings, tenant_id)
        kb = knowledge_for(the_tenant, embeddings=settings.kb_embeddings)
        index = kb.index
        typer.echo(f"{tenant_id}: {len(index.chunks)} chunks, index {index.content_hash}")
        for problem in _skipped(the_tenant, kb.problems):
            failed = True
            typer.echo(f"  skipped: {problem}")
        if not index.chunks:
            failed = True
            typer.echo(
                f"  no chunks: nothing in {the_tenant.knowledge_dir} could be read, so every "
                "question would go unanswered"
            )
    raise typer.Exit(1 if failed else 0)
