"""Analyse one call: by the LLM when one is configured, else (or when its output stays
invalid) deterministically; the outcome says which, and why it fell back."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from ..flow.slots import SlotContext
from ..phones import calling_code
from ..providers.kinds import AnyLLM
from ..record.facts import CallFacts
from ..tenants import Tenant
from .consent import withhold_email
from .deterministic import analyse_deterministic
from .llm_analysis import LLMAnalysisError, analyse_with_llm
from .models import AnalysisOutcome

log = logging.getLogger(__name__)


def slot_context(facts: CallFacts, tenant: Tenant) -> SlotContext:
    """Dates are read relative to when the call happened, in the tenant's timezone; phone
    numbers said without a country code are the tenant's country's."""
    code = calling_code(tenant.config.region)
    return SlotContext(now=facts.started_at, timezone=tenant.tz, default_country_code=code)


async def analyse_call(
    facts: CallFacts, tenant: Tenant, *, model: AnyLLM | None
) -> AnalysisOutcome:
    """The call's analysis (an email the caller did not consent to keep withheld)."""
    outcome = await _analyse(facts, tenant, model=model)
    return replace(outcome, analysis=withhold_email(facts, outcome.analysis))


async def _analyse(facts: CallFacts, tenant: Tenant, *, model: AnyLLM | None) -> AnalysisOutcome:
    analyzer = tenant.config.analyzer
    ctx = slot_context(facts, tenant)
    if model is None:
        return AnalysisOutcome(
            analysis=analyse_deterministic(facts, analyzer, ctx), method="deterministic"
        )
    prompt = await asyncio.to_thread(tenant.prompt, "analyzer")
    try:
        reply = await analyse_with_llm(model, facts, analyzer, prompt)
    except LLMAnalysisError as e:
        log.warning(
            "LLM analysis fell back to deterministic",
            extra={"call_id": facts.id, "tenant": facts.tenant, "reason": str(e)},
        )
        return AnalysisOutcome(
            analysis=analyse_deterministic(facts, analyzer, ctx),
            method="deterministic",
            model=model.model,
            attempts=e.attempts,
            error=str(e),
        )
    return AnalysisOutcome(
        analysis=reply.analysis, method="llm", model=model.model, attempts=reply.attempts
    )
