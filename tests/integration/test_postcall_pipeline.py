"""The whole post-call pipeline on real SQLite and Postgres: a stored call is analysed,
scored and notified (owner and customer emails land in a real SMTP server, the webhook
in a real HTTP server, signed); a replay sends nothing twice; invalid LLM output falls
back to the rules and the analysis row says so."""

from __future__ import annotations

import email
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent.config import Settings, load_settings
from agent.postcall.pipeline import process_call
from agent.postcall.signing import verify_signature
from agent.stack.mail import MailSink
from agent.store import Store
from agent.store.analyses import analyses_for_call, get_lead
from agent.store.outbox import for_call
from agent.store.postcall import load_call_facts
from agent.store.tables import Analysis
from tests.fake_llm import FakeLLM, FakeResponse
from tests.postcall_support import WebhookSink, store_call, write_tenant

pytestmark = pytest.mark.integration


@dataclass
class World:
    settings: Settings
    store: Store
    mail: MailSink
    hook: WebhookSink


@pytest.fixture
async def world(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv("T_HOOK_SECRET", "whsec-test")
    async with WebhookSink() as hook:
        tenants = write_tenant(tmp_path, webhook_url=hook.url)
        with MailSink(tmp_path / "mail") as mail:
            settings = load_settings(
                check_keys=False, tenants_dir=tenants, smtp_host=mail.host, smtp_port=mail.port
            )
            store = Store.from_url(store_url)
            try:
                yield World(settings, store, mail, hook)
            finally:
                await store.close()


async def test_a_call_is_analysed_scored_and_notified_once(world: World) -> None:
    await store_call(world.store, slots={"items": "a birthday cake"})
    result = await process_call("call-1", settings=world.settings, store=world.store)

    assert result.outcome.method == "deterministic"
    assert result.delivery is not None and result.delivery.delivered == 3
    async with world.store.transaction() as s:
        [analysis] = await analyses_for_call(s, "call-1")
        lead = await get_lead(s, "crumb-test", "anna@example.com")
        rows = await for_call(s, "call-1")
    assert (analysis.method, analysis.call_type, analysis.error) == ("deterministic", "order", None)
    assert analysis.fields["items"] == "a birthday cake" and analysis.fields["party_size"] == "12"
    assert lead is not None and lead.phone == "+447700900123"
    assert (lead.score, lead.priority) == (10 + 15 + 40, "high")
    assert sorted(r.status for r in rows) == ["delivered"] * 3

    by_rcpt = {m.name.split("-", 1)[1]: m for m in world.mail.messages()}
    assert sorted(by_rcpt) == ["anna@example.com.eml", "owner@crumb.example.eml"]
    owner = email.message_from_bytes(
        by_rcpt["owner@crumb.example.eml"].read_bytes(), policy=policy.default
    )
    assert owner["Subject"] == "[Crumb Test] Order call, lead 65 (high)"
    body = owner.get_body().get_content()  # type: ignore[union-attr]
    assert "items: a birthday cake" in body and "frontdesk calls show call-1" in body

    [(headers, raw, status)] = world.hook.received
    assert status == 200 and headers["Frontdesk-Event"] == "call.analyzed"
    assert verify_signature("whsec-test", headers["Frontdesk-Signature"], raw)

    replay = await process_call("call-1", settings=world.settings, store=world.store)
    assert replay.enqueued == () and replay.delivery is not None and replay.delivery.handled == 0
    assert len(world.mail.messages()) == 2 and len(world.hook.received) == 1
    async with world.store.transaction() as s:
        count = await s.scalar(select(func.count()).select_from(Analysis))
    assert count == 2  # each run is recorded; the latest is the call's analysis


async def test_invalid_llm_json_falls_back_and_the_row_records_it(world: World) -> None:
    await store_call(world.store)
    model = FakeLLM([FakeResponse('{"call_type": "order", "summary": 5}')])
    result = await process_call(
        "call-1", settings=world.settings, store=world.store, model=model, deliver=False
    )
    assert result.outcome.method == "deterministic"
    async with world.store.transaction() as s:
        [analysis] = await analyses_for_call(s, "call-1")
    assert analysis.method == "deterministic"
    assert analysis.error is not None and "invalid LLM output after 2 attempts" in analysis.error
    assert analysis.fields["email"] == "anna@example.com"
    assert len(model.requests) == 2


async def test_an_unknown_call_is_an_error_naming_it(world: World) -> None:
    from agent.errors import StoreError

    with pytest.raises(StoreError, match="'nope' is not in the store"):
        await process_call("nope", settings=world.settings, store=world.store)


async def test_stored_flow_events_reach_the_pipeline(world: World) -> None:
    declined = {"who": "caller", "wording": "May we email you?", "granted": False}
    handoff = {"reason": "caller asked for a person", "node": "order"}
    cleared = {"slot": "email", "reason": "consent declined"}
    await store_call(
        world.store,
        slots={"pickup_time": "2026-11-21T09:00:00+00:00", "email": "anna@example.com"},
        extra_events=[
            ("ConsentRecorded", declined),
            ("SlotCleared", cleared),
            ("HandoffRequested", handoff),
        ],
    )
    async with world.store.transaction() as s:
        facts = await load_call_facts(s, "call-1")
    assert facts is not None
    assert facts.path == ("greeting", "order") and facts.caller_number == "+447700900123"
    assert facts.slots == {"pickup_time": "2026-11-21T09:00:00+00:00"}
    assert (facts.consent, facts.handoff_requested, facts.end_node) == (False, True, "end")
    assert [t.speaker for t in facts.turns[:2]] == ["agent", "caller"]

    result = await process_call("call-1", settings=world.settings, store=world.store)
    assert "asked for a person" in result.outcome.analysis.summary
    assert result.outcome.analysis.fields["pickup_time"] == "2026-11-21T09:00:00+00:00"
    assert [p.name.split("-", 1)[1] for p in world.mail.messages()] == ["owner@crumb.example.eml"]
    # the declined consent: no email on the analysis or the lead, which is keyed by phone
    assert not any("@" in v for v in result.outcome.analysis.fields.values())
    assert result.scored.contact is not None
    assert (result.scored.contact.key, result.scored.contact.email) == ("+447700900123", None)


async def test_a_tenant_llm_without_its_key_is_recorded_and_the_rules_answer(world: World) -> None:
    tenant_file = world.settings.tenants_dir / "crumb-test" / "tenant.yaml"
    tenant_file.write_text(tenant_file.read_text() + "providers: {llm: openai}\n")
    settings = world.settings.model_copy(update={"openai_api_key": None})
    await store_call(world.store)
    result = await process_call("call-1", settings=settings, store=world.store, deliver=False)
    assert result.outcome.method == "deterministic"
    assert result.outcome.error is not None and "OPENAI_API_KEY" in result.outcome.error
    async with world.store.transaction() as s:
        [analysis] = await analyses_for_call(s, "call-1")
    assert analysis.error == result.outcome.error


async def test_a_campaign_visitors_lead_keeps_the_campaign(world: World) -> None:
    """A web widget visitor who came through a campaign: the call stores the campaign id
    and the lead it makes carries it."""
    await store_call(
        world.store, slots={"items": "a birthday cake"}, source="web", campaign="spring-cakes"
    )
    await process_call("call-1", settings=world.settings, store=world.store)
    async with world.store.transaction() as s:
        lead = await get_lead(s, "crumb-test", "anna@example.com")
    assert lead is not None and lead.campaign == "spring-cakes"
