"""Throughput of the post-call pipeline in deterministic mode (no LLM).

Usage: ``uv run python bench/postcall.py [--calls 200] [--processors 4] [--database URL]``

Stores ``--calls`` finished calls (12 turns, a few slots each) in a fresh SQLite file
(or the Postgres database given, which must be migrated and empty), then measures:

- analysis only: load the call, analyse, score (no writes): the baseline;
- analysis + outbox: the same plus storing the analysis, the lead and three
  notifications per call in one transaction (``process_call(..., deliver=False)``);
- delivery: the outbox drained into a local SMTP sink (two emails per call) and a
  local webhook server (one signed POST per call): the first half of the calls by one
  processor, the second half by ``--processors`` at once;
- end to end: both steps one after the other (1 / (1/enqueue + 1/deliver)).

Each line prints calls per second (and notifications per second for delivery).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from agent.config import Settings, load_settings
from agent.postcall.analyse import analyse_call
from agent.postcall.channels import build_channels
from agent.postcall.outbox import OutboxProcessor, RetryPolicy
from agent.postcall.pipeline import process_call
from agent.postcall.score import contact_for, score_call
from agent.record.turn import TurnRecord
from agent.record.vocabulary import Speaker
from agent.stack.mail import MailSink
from agent.store import Store
from agent.store.calls import NewCall, finalize_call, start_call
from agent.store.events import NewEvent, add_event
from agent.store.migrate import ensure_embedded_schema
from agent.store.postcall import load_call_facts
from agent.store.turns import add_turn
from agent.tenants import Tenant, load_tenant

TENANT = """\
name: Bench Bakery
timezone: Europe/London
flow: demo_bakery
analyzer:
  call_types:
    order:
      description: The caller orders cakes or bread for pickup
      fields:
        items: {type: text}
        pickup_time: {type: datetime}
        party_size: {type: number, description: guests}
        name: {type: name}
        email: {type: email}
    enquiry:
      description: The caller asks about opening hours or prices
lead_scoring:
  rules:
    - {label: asked about pricing, points: 10, keywords: [price, cost, how much]}
    - {label: gave a pickup time, points: 15, slot: pickup_time}
    - {label: large party, points: 40, if: "slots.party_size > 8"}
notifications:
  owner_email: owner@bench.example
  customer_confirmation: true
  webhooks:
    - {url: "URL", secret_env: BENCH_HOOK_SECRET}
"""
LINES = (
    "hi i would like to order a birthday cake",
    "my name is anna smith",
    "how much does a large cake cost",
    "it is for a party of twelve guests",
    "i will pick it up friday at 3 pm",
    "my email is anna{n} at example dot com",
)
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


async def store_calls(store: Store, count: int) -> list[str]:
    ids = [f"bench-{n:05d}" for n in range(count)]
    for n, call_id in enumerate(ids):
        async with store.transaction() as s:
            await start_call(
                s,
                NewCall(
                    id=call_id,
                    tenant="bench",
                    source="sip",
                    room=call_id,
                    started_at=START,
                    caller_number="+447700900123",
                ),
            )
            for i, line in enumerate(LINES):
                turns: tuple[tuple[Speaker, str], ...] = (("agent", "yes?"), ("caller", line))
                for k, (who, text) in enumerate(turns):
                    turn = TurnRecord(
                        seq=2 * i + k,
                        speaker=who,
                        text=text.format(n=n),
                        started_at=START + timedelta(seconds=i),
                    )
                    await add_turn(s, call_id, "bench", turn)
            slot = {"slot": "items", "value": "birthday cake", "raw_text": "a birthday cake"}
            await add_event(
                s, call_id, "bench", NewEvent(seq=0, type="SlotSet", at=START, payload=slot)
            )
            await finalize_call(
                s,
                call_id,
                ended_at=START + timedelta(minutes=2),
                status="completed",
                end_node="end",
            )
    return ids


async def timed(label: str, work: Callable[[], Awaitable[int]], calls: int) -> float:
    began = time.perf_counter()
    items = await work()
    elapsed = time.perf_counter() - began
    rate = calls / elapsed
    extra = f"   {items / elapsed:8.1f} notifications/s" if items != calls else ""
    print(f"  {label:<34} {rate:8.1f} calls/s   ({elapsed:6.2f} s){extra}", flush=True)
    return rate


class WebhookCounter:
    """A local webhook endpoint that counts what it receives."""

    def __init__(self) -> None:
        self.received = 0
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        await request.read()
        self.received += 1
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def analysis_only(store: Store, tenant: Tenant, ids: list[str]) -> Callable[[], Awaitable[int]]:
    async def go() -> int:
        for call_id in ids:
            async with store.transaction() as s:
                facts = await load_call_facts(s, call_id)
            assert facts is not None
            outcome = await analyse_call(facts, tenant, model=None)
            score_call(facts, outcome.analysis, tenant.config.lead_scoring)
            contact_for(facts, outcome.analysis)
        return len(ids)

    return go


def with_outbox(store: Store, settings: Settings, ids: list[str]) -> Callable[[], Awaitable[int]]:
    async def go() -> int:
        for call_id in ids:
            await process_call(call_id, settings=settings, store=store, deliver=False)
        return len(ids)

    return go


def drain(store: Store, settings: Settings, processors: int) -> Callable[[], Awaitable[int]]:
    async def go() -> int:
        policy = RetryPolicy.from_settings(settings)
        channels = build_channels(settings)
        workers = [
            OutboxProcessor(store, channels, policy=policy, worker_id=f"w{n}")
            for n in range(processors)
        ]
        results = await asyncio.gather(*(w.drain() for w in workers))
        return sum(r.delivered for r in results)

    return go


async def measure(store: Store, settings: Settings, calls: int, processors: int) -> None:
    ids = await store_calls(store, calls)
    tenant = load_tenant(settings.tenants_dir, "bench")
    print(f"post-call pipeline, deterministic, {calls} calls, {store.dialect}")
    half = len(ids) // 2
    await timed("analysis only (baseline)", analysis_only(store, tenant, ids), len(ids))
    for batch, count in ((ids[:half], 1), (ids[half:], processors)):
        rate = await timed(
            "analysis + lead + outbox rows", with_outbox(store, settings, batch), len(batch)
        )
        label = f"{count} processor{'s' if count > 1 else ''}"
        sent = await timed(f"delivery, {label}", drain(store, settings, count), len(batch))
        print(f"  {'end to end, ' + label:<34} {1 / (1 / rate + 1 / sent):8.1f} calls/s")


async def run(args: argparse.Namespace, root: Path) -> None:
    os.environ.setdefault("BENCH_HOOK_SECRET", "bench-secret")
    hook = WebhookCounter()
    await hook.start()
    tenant_dir = root / "tenants" / "bench"
    tenant_dir.mkdir(parents=True)
    (tenant_dir / "tenant.yaml").write_text(TENANT.replace("URL", hook.url))
    with MailSink(root / "mail") as sink:
        settings: Settings = load_settings(
            check_keys=False,
            data_dir=root / "data",
            tenants_dir=root / "tenants",
            smtp_host=sink.host,
            smtp_port=sink.port,
            **({"database_url": args.database} if args.database else {}),
        )
        store = Store.open(settings)
        await ensure_embedded_schema(store.engine.url)
        try:
            await measure(store, settings, args.calls, args.processors)
            emails = len(sink.messages())
            print(f"  sinks received {emails} emails and {hook.received} webhooks", flush=True)
        finally:
            await store.close()
            await hook.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--processors", type=int, default=4)
    parser.add_argument("--database", help="a migrated, empty Postgres URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as root:
        asyncio.run(run(args, Path(root)))


if __name__ == "__main__":
    main()
