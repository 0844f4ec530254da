"""The post-call pipeline for one stored call: analyse, score, enqueue, deliver.

:func:`process_call` reads only what the store holds, so it runs when a session closes
(the worker) and again on demand (``frontdesk postcall replay ID``). It is idempotent:
each run stores a new analysis row (the latest is the call's analysis), the lead is
upserted by contact, and notifications are keyed by call and target, so a replay
enqueues, and therefore sends, nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from ..config import Settings
from ..errors import ConfigError, StoreError
from ..providers.kinds import AnyLLM
from ..providers.registry import build_llm
from ..record.facts import CallFacts
from ..store import Store
from ..store.analyses import LeadUpdate, NewAnalysis, save_analysis_with_outbox
from ..store.migrate import ensure_embedded_schema
from ..store.postcall import load_call_facts
from ..tenants import Tenant, load_tenant
from .analyse import analyse_call
from .channels import build_channels
from .models import AnalysisOutcome
from .notify import Scored, plan_notifications
from .outbox import OutboxProcessor, RetryPolicy, RunStats
from .score import contact_for, score_call

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class PostcallResult:
    call_id: str
    analysis_id: int
    outcome: AnalysisOutcome
    scored: Scored
    enqueued: tuple[int, ...]  # outbox rows new in this run (none on a replay)
    delivery: RunStats | None  # what the outbox pass did, when this run delivered


def _records(
    facts: CallFacts, outcome: AnalysisOutcome, scored: Scored
) -> tuple[NewAnalysis, LeadUpdate | None]:
    analysis = outcome.analysis
    record = NewAnalysis(
        call_id=facts.id,
        tenant=facts.tenant,
        method=outcome.method,
        call_type=analysis.call_type,
        fields=analysis.fields,
        summary=analysis.summary,
        sentiment=analysis.sentiment,
        meeting=analysis.meeting.model_dump(mode="json") if analysis.meeting else None,
        error=outcome.error,
    )
    contact = scored.contact
    if contact is None:
        return record, None
    lead = LeadUpdate(
        tenant=facts.tenant,
        contact_key=contact.key,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        campaign=facts.campaign,
        score=scored.score.score,
        priority=scored.score.priority,
        call_id=facts.id,
        signals=scored.score.reasons,
    )
    return record, lead


async def analyse_and_enqueue(
    store: Store,
    facts: CallFacts,
    tenant: Tenant,
    *,
    settings: Settings,
    model: AnyLLM | None,
    llm_error: str | None = None,
) -> tuple[int, AnalysisOutcome, Scored, tuple[int, ...]]:
    outcome = await analyse_call(facts, tenant, model=model)
    if llm_error is not None and outcome.error is None:
        outcome = replace(outcome, error=llm_error)
    score = score_call(facts, outcome.analysis, tenant.config.lead_scoring)
    scored = Scored(score=score, contact=contact_for(facts, outcome.analysis))
    notes = await asyncio.to_thread(plan_notifications, facts, tenant, outcome, scored)
    analysis, lead = _records(facts, outcome, scored)
    async with store.transaction() as s:
        analysis_id, enqueued = await save_analysis_with_outbox(s, analysis, notes, lead=lead)
    return analysis_id, outcome, scored, tuple(enqueued)


async def deliver_due(store: Store, settings: Settings, timeout_s: float) -> RunStats | None:
    """Drain the outbox for up to ``timeout_s``; None when time ran out (rows still
    claimed are taken over by a processor once their lease expires)."""
    processor = OutboxProcessor(
        store, build_channels(settings), policy=RetryPolicy.from_settings(settings)
    )
    try:
        return await asyncio.wait_for(processor.drain(), timeout=timeout_s)
    except TimeoutError:
        log.warning("post-call delivery ran out of time", extra={"timeout_s": timeout_s})
        return None


def _llm_for(settings: Settings, tenant: Tenant) -> tuple[AnyLLM | None, str | None]:
    """The tenant's LLM (``providers.llm``), else the deployment's (``FRONTDESK_LLM``);
    a configuration that cannot build one is reported, and the analysis runs without."""
    chosen = tenant.config.providers.llm
    effective = settings if chosen is None else settings.model_copy(update={"llm": chosen})
    try:
        return build_llm(effective), None
    except ConfigError as e:
        return None, f"LLM not available, analysed without: {e}"


def postcall_hook(settings: Settings) -> Callable[[str], Awaitable[None]]:
    """The post-call work of a stored call as the worker's capture runs it when a call
    ends (and its spool sweeper, for recovered calls): :func:`process_call`, its failure
    logged, never raised (it is idempotent: a replay is safe)."""

    async def run(call_id: str) -> None:
        try:
            await process_call(call_id, settings=settings)
        except Exception:
            log.exception("post-call pipeline failed", extra={"call_id": call_id})

    return run


async def process_call(
    call_id: str,
    *,
    settings: Settings,
    store: Store | None = None,
    model: AnyLLM | None = None,
    deliver: bool = True,
    deliver_timeout_s: float = 30.0,
) -> PostcallResult:
    """Analyse, score and notify for ``call_id``.

    ``store`` defaults to the settings' store (opened and closed here); ``model`` to the
    tenant's or the deployment's LLM (none means deterministic). With ``deliver`` the
    due outbox rows are delivered before returning, for at most ``deliver_timeout_s``
    (the worker calls this as a job shuts down); ``frontdesk outbox run`` delivers the
    rest, and retries the ones that fail now."""
    own_store = store is None
    db = Store.open(settings) if store is None else store
    if own_store:
        await ensure_embedded_schema(db.engine.url)
    chosen, llm_error = model, None
    try:
        async with db.transaction() as s:
            facts = await load_call_facts(s, call_id)
        if facts is None:
            raise StoreError(f"call {call_id!r} is not in the store (see `frontdesk calls list`)")
        tenant = await asyncio.to_thread(load_tenant, settings.tenants_dir, facts.tenant)
        if model is None:
            chosen, llm_error = _llm_for(settings, tenant)
        analysis_id, outcome, scored, enqueued = await analyse_and_enqueue(
            db, facts, tenant, settings=settings, model=chosen, llm_error=llm_error
        )
        log.info(
            "call analysed",
            extra={"call_id": call_id, "method": outcome.method, "enqueued": len(enqueued)},
        )
        delivery = await deliver_due(db, settings, deliver_timeout_s) if deliver else None
        return PostcallResult(
            call_id=call_id,
            analysis_id=analysis_id,
            outcome=outcome,
            scored=scored,
            enqueued=enqueued,
            delivery=delivery,
        )
    finally:
        if model is None and chosen is not None:
            await chosen.aclose()
        if own_store:
            await db.close()
