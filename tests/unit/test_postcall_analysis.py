"""Post-call analysis: deterministic rules over slots and turns, and the LLM path with a
scripted FakeLLM (valid JSON, invalid then valid, invalid twice -> fallback recorded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.postcall.analyse import analyse_call, slot_context
from agent.postcall.deterministic import analyse_deterministic, classify
from agent.postcall.lexicon import sentiment
from agent.postcall.llm_analysis import json_mode
from agent.providers.registry import build_llm
from agent.tenants import Tenant
from tests.fake_llm import FakeLLM, FakeResponse
from tests.postcall_support import facts, tenant_at, write_tenant

pytestmark = pytest.mark.unit


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    return tenant_at(write_tenant(tmp_path))


def test_deterministic_reads_fields_from_turns_with_the_flow_extractors(tenant: Tenant) -> None:
    call = facts()
    result = analyse_deterministic(call, tenant.config.analyzer, slot_context(call, tenant))
    assert result.call_type == "order"
    assert result.fields["name"] == "Anna Smith"
    assert result.fields["email"] == "anna@example.com"
    assert result.fields["party_size"] == "12"
    assert result.fields["pickup_time"].startswith(
        "2026-11-20T15:00"
    )  # the call was on Friday morning
    assert "items" not in result.fields  # free text only ever comes from a slot
    assert result.sentiment > 0
    assert result.meeting is None
    assert "Anna Smith" in result.summary


def test_slots_win_over_extraction_and_name_the_call_type(tenant: Tenant) -> None:
    call = facts(["what time do you open"], slots={"topic": "order", "items": "two baguettes"})
    result = analyse_deterministic(call, tenant.config.analyzer, slot_context(call, tenant))
    assert result.call_type == "order"
    assert result.fields == {"items": "two baguettes"}


def test_call_type_from_path_then_keywords(tenant: Tenant) -> None:
    analyzer = tenant.config.analyzer
    assert classify(facts(["hello"], path=("greeting", "enquiry")), analyzer) == "enquiry"
    assert classify(facts(["what are your opening hours and prices"]), analyzer) == "enquiry"
    assert classify(facts(["hello there"]), analyzer) is None


def test_a_number_is_not_read_from_a_turn_that_does_not_name_the_field(tenant: Tenant) -> None:
    call = facts(["i want to order a cake", "my number is 07700 900123"])
    result = analyse_deterministic(call, tenant.config.analyzer, slot_context(call, tenant))
    assert "party_size" not in result.fields


def test_sentiment_lexicon_handles_negation() -> None:
    assert sentiment(["that is great thanks"]) > 0.3
    assert sentiment(["that is not good", "terrible service"]) < -0.3
    assert sentiment(["hello"]) == 0
    assert sentiment(["no thank you"]) > 0  # a polite goodbye, not a complaint
    assert -1 < sentiment(["awful"] * 50) < 0


def test_meeting_calls_get_a_meeting_analysis(tenant: Tenant) -> None:
    lines = [
        "our biggest problem is missed calls",
        "what would the pricing be for three locations",
        "we have a budget of two thousand pounds",
        "we want to start next month",
        "my manager signs off on this",
    ]
    call = facts(lines, source="meeting")
    meeting = analyse_deterministic(
        call, tenant.config.analyzer, slot_context(call, tenant)
    ).meeting
    assert meeting is not None
    assert meeting.pain_points == [lines[0]]
    assert meeting.buying_signals == [lines[1], lines[2]]
    assert meeting.budget == "2000"
    assert meeting.timeline == lines[3]
    assert meeting.decision_makers == [lines[4]]
    assert meeting.lead_score >= 60 and meeting.qualification_status == "qualified"


def _valid_json() -> str:
    return json.dumps({
        "call_type": "order",
        "fields": {"items": "birthday cake", "name": "Anna Smith"},
        "summary": "Anna ordered a birthday cake for Friday.",
        "sentiment": 0.6,
        "meeting": None,
    })  # fmt: skip


async def test_llm_analysis_is_used_when_valid(tenant: Tenant) -> None:
    model = FakeLLM([FakeResponse(f"```json\n{_valid_json()}\n```")])
    outcome = await analyse_call(facts(), tenant, model=model)
    assert outcome.method == "llm"
    assert outcome.error is None and outcome.attempts == 1 and outcome.model == "fake-llm"
    assert outcome.analysis.fields["items"] == "birthday cake"
    system = model.requests[0].chat_ctx.items[0].text_content or ""
    assert "pickup_time (datetime)" in system and '"sentiment"' in system


async def test_invalid_llm_output_is_retried_once_with_the_reason(tenant: Tenant) -> None:
    model = FakeLLM([FakeResponse('{"call_type": "order"'), FakeResponse(_valid_json())])
    outcome = await analyse_call(facts(), tenant, model=model)
    assert outcome.method == "llm" and outcome.attempts == 2
    retry_prompt = model.requests[1].chat_ctx.items[-1].text_content or ""
    assert "invalid" in retry_prompt


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("not json at all", "invalid analysis JSON"),
        (_valid_json().replace('"order"', '"refund"'), "unknown call_type 'refund'"),
        (_valid_json().replace('"items"', '"colour"'), "fields not in call type 'order': colour"),
        (_valid_json().replace("0.6", "3.5"), "invalid analysis JSON"),
    ],
)
async def test_invalid_llm_json_twice_falls_back_to_deterministic(
    tenant: Tenant, reply: str, reason: str
) -> None:
    model = FakeLLM([FakeResponse(reply)])
    outcome = await analyse_call(facts(), tenant, model=model)
    assert outcome.method == "deterministic"
    assert outcome.attempts == 2 and len(model.requests) == 2
    assert outcome.error is not None and reason in outcome.error
    assert outcome.analysis.fields["email"] == "anna@example.com"  # the rules' answer


async def test_an_llm_that_errors_falls_back_at_once(tenant: Tenant) -> None:
    model = FakeLLM([FakeResponse(error="connection refused")])
    outcome = await analyse_call(facts(), tenant, model=model)
    assert outcome.method == "deterministic" and outcome.attempts == 1
    assert outcome.error is not None and "LLM request failed on attempt 1" in outcome.error
    assert len(model.requests) == 1


async def test_no_llm_means_deterministic_without_error(tenant: Tenant) -> None:
    outcome = await analyse_call(facts(), tenant, model=None)
    assert outcome.method == "deterministic" and outcome.error is None and outcome.attempts == 0


def test_the_configured_llms_are_asked_for_json() -> None:
    openai_llm = build_llm(load_settings(check_keys=False, llm="openai", openai_api_key="sk-test"))
    google_llm = build_llm(load_settings(check_keys=False, llm="google", google_api_key="g-test"))
    assert openai_llm is not None and google_llm is not None
    assert json_mode(openai_llm) == {"response_format": {"type": "json_object"}}
    assert json_mode(google_llm) == {"response_mime_type": "application/json"}
    assert json_mode(FakeLLM([FakeResponse("{}")])) == {}


async def test_a_meeting_call_needs_the_meeting_fields_from_the_llm(tenant: Tenant) -> None:
    meeting = {
        "lead_score": 70,
        "qualification_status": "qualified",
        "key_insights": ["three shops"],
        "pain_points": ["missed calls"],
        "buying_signals": ["asked for pricing"],
        "budget": "2000 pounds",
        "timeline": "next month",
        "decision_makers": ["the owner"],
        "next_steps": ["send a quote"],
        "engagement_level": "high",
        "follow_up_priority": "high",
    }
    with_meeting = json.loads(_valid_json()) | {"call_type": None, "fields": {}, "meeting": meeting}
    call = facts(["our problem is missed calls"], source="meeting")
    model = FakeLLM([FakeResponse(_valid_json()), FakeResponse(json.dumps(with_meeting))])
    outcome = await analyse_call(call, tenant, model=model)
    assert outcome.method == "llm" and outcome.attempts == 2
    assert outcome.analysis.meeting is not None and outcome.analysis.meeting.lead_score == 70
    retry_prompt = model.requests[1].chat_ctx.items[-1].text_content or ""
    assert "needs the meeting fields" in retry_prompt
