"""A job process killed mid-booking (SIGKILL, as the out-of-memory killer does): the
worker notices, the agent is dispatched again, the new job rebuilds the call from the
store and says "Sorry about that, where were we: ..." with the question it was at; the
caller goes on and the table is booked with every slot, in one stored call that shows
one interruption, its post-call work done once."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from agent.config import Settings
from agent.demo.call import run_demo_call
from agent.stack import LocalStack
from agent.store import Store
from agent.store.analyses import analyses_for_call
from agent.store.calls import list_calls
from agent.store.events import list_events
from agent.store.tables import Analysis
from tests.callers import booked_table_slots, stored_call
from tests.crashes import KillAfterLine

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT = "crumb-and-co"  # answers with flows/receptionist.yaml


async def test_a_killed_job_process_is_resumed_and_the_booking_completes(
    stack: LocalStack, stack_settings: Settings
) -> None:
    worker = next(s for s in stack.services if s.name == "worker")
    assert worker.pid is not None
    kill = KillAfterLine(worker.pid, line="four")
    report = await run_demo_call(stack_settings, stack.url, tenant=TENANT, after_line=kill)
    summary = report.to_json()
    assert kill.killed_at is not None, "the call never reached the line to kill at"
    assert report.hung_up, summary
    said = " ".join(t.said for t in report.turns)
    assert "where were we" in said.lower(), summary
    facts = await stored_call(
        stack_settings, report.room, TENANT, until=lambda f: f.status != "active"
    )
    assert facts.slots == booked_table_slots(facts.started_at), summary
    assert facts.path[-1] == "booking_made"
    store = Store.open(stack_settings)
    try:
        async with store.transaction() as s:
            calls = [c for c in await list_calls(s, tenant=TENANT) if c.room == report.room]
            assert len(calls) == 1, "the resumed call must keep its one row"
            call = calls[0]
            events = await list_events(s, call.id)
        assert call.status == "completed", call.end_reason
        assert [e.type for e in events].count("CallResumed") == 1
        assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seqs go on"
        analyses = await _analyses(store, call.id)
    finally:
        await store.close()
    assert len(analyses) == 1, "the post-call work runs once, at the real end"
    metrics = f"http://127.0.0.1:{stack.ports.worker_metrics}/metrics"
    async with aiohttp.ClientSession() as http, http.get(metrics) as resp:
        scraped = await resp.text()
    assert 'frontdesk_jobs_redispatched_total{by="worker"}' in scraped


async def _analyses(store: Store, call_id: str, timeout: float = 60) -> list[Analysis]:
    """The call's analyses, once the post-call pipeline has stored one."""
    deadline = time.monotonic() + timeout
    while True:
        async with store.transaction() as s:
            found = list(await analyses_for_call(s, call_id))
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)
