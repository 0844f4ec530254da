"""Lead scoring with the tenant's rules (keywords, slot, flow expression), priorities by
threshold, the lead's contact key, and who is notified."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from agent.postcall.analyse import analyse_call
from agent.postcall.models import CallAnalysis
from agent.postcall.notify import Scored, plan_notifications
from agent.postcall.score import contact_for, score_call
from agent.tenants import Tenant
from tests.postcall_support import facts, tenant_at, write_tenant

pytestmark = pytest.mark.unit


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return tenant_at(write_tenant(tmp_path))


def analysis(**fields: str) -> CallAnalysis:
    return CallAnalysis(call_type="order", fields=fields, summary="s", sentiment=0)


def test_each_rule_kind_adds_its_points(tenant: Tenant) -> None:
    call = facts(["how much is a cake", "we would love a tour"])
    result = score_call(
        call, analysis(pickup_time="2026-11-20T15:00", party_size="12"), tenant.config.lead_scoring
    )
    assert result.score == 85
    assert result.priority == "high"
    assert result.reasons == (
        "asked about pricing (+10)",
        "requested a tour (+20)",
        "gave a pickup time (+15)",
        "large party (+40)",
    )


def test_keywords_match_whole_words_and_the_expression_reads_slots(tenant: Tenant) -> None:
    scoring = tenant.config.lead_scoring
    call = facts(["we love tourism", "the price is fine"], slots={"party_size": "6"})
    result = score_call(call, analysis(), scoring)
    assert result.reasons == ("asked about pricing (+10)",)
    assert (result.score, result.priority) == (10, "low")
    medium = score_call(facts(["cost"], slots={"party_size": "9"}), analysis(), scoring)
    assert (medium.score, medium.priority) == (50, "medium")


def test_scores_are_clamped(tenant: Tenant) -> None:
    rules = tenant.config.lead_scoring.model_copy(
        update={"rules": tenant.config.lead_scoring.rules * 3}
    )
    call = facts(["price tour"], slots={"party_size": "20", "pickup_time": "x"})
    assert score_call(call, analysis(), rules).score == 100


def test_contact_prefers_email_then_phone() -> None:
    with_email = contact_for(facts(), analysis(email="Anna@Example.com", name="Anna"))
    assert with_email is not None
    assert (with_email.key, with_email.phone, with_email.name) == (
        "anna@example.com",
        "+447700900123",
        "Anna",
    )
    by_phone = contact_for(facts(), analysis(email="not-an-email"))
    assert by_phone is not None and by_phone.key == "+447700900123" and by_phone.email is None
    assert contact_for(facts(caller_number=None), analysis()) is None


async def test_a_declined_consent_keeps_no_email_in_the_analysis_or_the_lead(
    tenant: Tenant,
) -> None:
    lines = ["I want to order a cake for pickup", "my email is anna at example dot com"]
    given = replace(facts(lines, slots={"email": "anna@example.com"}), consent=True)
    kept = await analyse_call(given, tenant, model=None)
    declined = replace(given, consent=False, slots={})  # the flow dropped the slot
    withheld = await analyse_call(declined, tenant, model=None)
    assert any("anna@example.com" in v for v in kept.analysis.fields.values()), kept
    assert not any("@" in v for v in withheld.analysis.fields.values()), withheld
    assert "@" not in withheld.analysis.summary
    # even when an email is still on hand (an LLM's field), the lead is keyed by phone
    contact = contact_for(declined, analysis(email="anna@example.com"))
    assert contact is not None
    assert (contact.key, contact.email) == ("+447700900123", None)
    with_consent = contact_for(given, analysis(email="anna@example.com"))
    assert with_consent is not None and with_consent.email == "anna@example.com"


def test_withholding_reaches_the_summary() -> None:
    from agent.postcall.consent import WITHHELD, withhold_email

    noted = CallAnalysis(
        call_type=None, fields={"note": "call back"}, summary="Reach anna@example.com", sentiment=0
    )
    call = replace(facts(), consent=False)
    assert withhold_email(call, noted).summary == f"Reach {WITHHELD}"
    assert withhold_email(replace(call, consent=None), noted) is noted


@pytest.mark.parametrize(("consent", "customer_emails"), [(None, 1), (True, 1), (False, 0)])
async def test_customer_confirmation_respects_a_declined_consent(
    tenant: Tenant, consent: bool | None, customer_emails: int
) -> None:
    call = replace(facts(), consent=consent)
    outcome = await analyse_call(call, tenant, model=None)
    scored = Scored(
        score=score_call(call, outcome.analysis, tenant.config.lead_scoring),
        contact=contact_for(call, outcome.analysis),
    )
    notes = plan_notifications(call, tenant, outcome, scored)
    assert sum(n.template == "customer_confirmation" for n in notes) == customer_emails
    assert [n.target for n in notes if n.template == "owner_summary"] == ["owner@crumb.example"]
