"""Shared by the post-call tests: a tenant folder with an analyzer, scoring rules and
notifications; a call's facts, or the call stored as the worker stores it; and
:class:`WebhookSink`, a real local webhook endpoint. (The LLM is :mod:`tests.fake_llm`.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from agent.postcall.channels import WebhookAuth
from agent.record.facts import CallFacts, TurnFact
from agent.record.turn import TurnRecord
from agent.store import Store
from agent.store.calls import NewCall, finalize_call, start_call
from agent.store.events import NewEvent, add_event
from agent.store.turns import add_turn
from agent.tenants import Tenant, load_tenant

TENANT_YAML = """\
name: Crumb Test
timezone: Europe/London
flow: demo_bakery
analyzer:
  call_types:
    order:
      description: The caller orders cakes or bread for pickup
      fields:
        items: {type: text, description: What was ordered}
        pickup_time: {type: datetime, description: When they collect}
        party_size: {type: number, description: How many guests the cake is for}
        name: {type: name}
        email: {type: email}
        phone: {type: phone}
    enquiry:
      description: The caller asks about opening hours or prices
lead_scoring:
  rules:
    - {label: asked about pricing, points: 10, keywords: [price, cost, how much]}
    - {label: requested a tour, points: 20, keywords: [tour, visit]}
    - {label: gave a pickup time, points: 15, slot: pickup_time}
    - {label: large party, points: 40, if: "slots.party_size > 8"}
  priorities: {high: 60, medium: 30}
notifications:
  owner_email: owner@crumb.example
  customer_confirmation: true
  webhooks:
{webhooks}
"""

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

CALLER_LINES = (
    "hi i would like to order a birthday cake",
    "my name is anna smith",
    "how much does a large cake cost",
    "it is for a party of twelve guests",
    "i will pick it up friday at 3 pm",
    "my email is anna at example dot com",
    "thanks that is great",
)


def write_tenant(
    root: Path, *, webhook_url: str | None = None, secret_env: str = "T_HOOK_SECRET"
) -> Path:
    """``root/tenants/crumb-test/tenant.yaml``; returns the tenants folder."""
    hooks = (
        f"    - {{url: {webhook_url}, secret_env: {secret_env}, events: [call.analyzed]}}"
        if webhook_url
        else "    []"
    )
    folder = root / "tenants" / "crumb-test"
    folder.mkdir(parents=True, exist_ok=True)
    text = TENANT_YAML.replace("{webhooks}", hooks)
    if not webhook_url:
        text = text.replace("  webhooks:\n    []", "  webhooks: []")
    (folder / "tenant.yaml").write_text(text)
    return root / "tenants"


def tenant_at(tenants: Path) -> Tenant:
    return load_tenant(tenants, "crumb-test")


def facts(
    lines: Sequence[str] = CALLER_LINES,
    *,
    slots: dict[str, str] | None = None,
    path: tuple[str, ...] = (),
    source: str = "sip",
    caller_number: str | None = "+447700900123",
) -> CallFacts:
    turns = []
    for i, line in enumerate(lines):
        at = START + timedelta(seconds=10 * i)
        turns.append(TurnFact(speaker="agent", text="how can i help", at=at))
        turns.append(TurnFact(speaker="caller", text=line, at=at + timedelta(seconds=5)))
    return CallFacts(
        id="call-1",
        tenant="crumb-test",
        source=source,
        started_at=START,
        ended_at=START + timedelta(minutes=2),
        duration_s=120.0,
        caller=caller_number,
        caller_number=caller_number,
        end_node="end",
        turns=tuple(turns),
        slots=slots or {},
        path=path,
    )


async def store_call(
    store: Store,
    call_id: str = "call-1",
    *,
    lines: Sequence[str] = CALLER_LINES,
    slots: dict[str, str] | None = None,
    extra_events: Sequence[tuple[str, dict[str, object]]] = (),
    source: str = "sip",
    campaign: str | None = None,
) -> None:
    """A finished call as the worker stores it: the call, its turns and flow events."""
    async with store.transaction() as s:
        await start_call(
            s,
            NewCall(
                id=call_id,
                tenant="crumb-test",
                source=source,
                room=f"room-{call_id}",
                started_at=START,
                flow_id="demo_bakery",
                campaign=campaign,
                caller_number="+447700900123",
            ),
        )
        seq = 0
        for i, line in enumerate(lines):
            at = START + timedelta(seconds=10 * i)
            for speaker, text in (("agent", "how can i help"), ("caller", line)):
                await add_turn(
                    s,
                    call_id,
                    "crumb-test",
                    TurnRecord(seq=seq, speaker=speaker, text=text, started_at=at),
                )
                seq += 1
        events = [
            ("NodeEntered", {"node": "greeting", "kind": "say"}),
            ("NodeEntered", {"node": "order", "kind": "say"}),
        ]
        events += [
            ("SlotSet", {"slot": k, "value": v, "raw_text": v}) for k, v in (slots or {}).items()
        ]
        events += list(extra_events)
        for n, (kind, payload) in enumerate(events):
            await add_event(
                s, call_id, "crumb-test", NewEvent(seq=n, type=kind, at=START, payload=payload)
            )
        await finalize_call(
            s, call_id, ended_at=START + timedelta(minutes=2), status="completed", end_node="end"
        )


class AnyWebhookUnsigned:
    """A webhook directory for tests that are not about signing: any tenant's any URL,
    sent unsigned (the real one, :class:`~agent.postcall.channels.TenantWebhooks`, reads
    each tenant's configuration)."""

    def auth(self, tenant: str, url: str) -> WebhookAuth:
        return WebhookAuth(allow_unsigned=True)


def write_hook_tenant(tenants: Path, url: str, tenant: str = "t1") -> Path:
    """A tenant whose one webhook is ``url``, allowed unsigned (for outbox processes)."""
    folder = tenants / tenant
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tenant.yaml").write_text(
        f"name: {tenant}\nflow: demo_bakery\nnotifications:\n"
        f"  webhooks:\n    - {{url: '{url}', allow_unsigned: true}}\n"
    )
    return tenants


class WebhookSink:
    """A real aiohttp server on loopback that records every POST and answers with the
    scripted statuses in turn (200 once they run out), each after ``delay_s``."""

    def __init__(self, statuses: Sequence[int] = (), *, delay_s: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay_s = delay_s
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        await asyncio.sleep(self.delay_s)
        status = self.statuses.pop(0) if self.statuses else 200
        self.received.append((dict(request.headers), body, status))
        return web.Response(status=status, text="ok" if status < 300 else "try later")

    def delivered_keys(self) -> list[str]:
        """The idempotency keys of the requests answered 2xx, in order."""
        return [h["Frontdesk-Idempotency-Key"] for h, _, status in self.received if status < 300]

    async def __aenter__(self) -> WebhookSink:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
