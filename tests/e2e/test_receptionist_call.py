"""A caller books a table by voice: the receptionist flow walked to its end through a real
livekit-server, with every slot filled, as the call store records it.

The caller speaks eSpeak NG audio; the agent hears it with PocketSphinx, through the
grammar of each node's expected answers (phrases, or the wording pattern of a typed
answer: a number, a date and time, a name, a phone number).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.config import Settings
from agent.demo.call import run_demo_call
from agent.postcall.facts import CallFacts
from agent.stack import LocalStack
from agent.store.calls import list_calls
from agent.store.engine import Store
from agent.store.postcall import load_call_facts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ENDS = frozenset({"booking_made", "order_placed", "goodbye", "handoff_end", "no_input_end"})
TENANT = "crumb-receptionist"  # crumb-and-co answering with flows/receptionist.yaml
BOOKING = (
    "book a table",
    "four",
    "tomorrow at seven in the evening",
    "my name is peter smith",
    "oh seven seven oh oh nine double oh one two three",
    "yes",
)


async def stored_call(settings: Settings, room: str, timeout: float = 60.0) -> CallFacts:
    """The call in ``room`` as stored, once it reached an end node (the worker writes
    turns and flow events as they happen)."""
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                calls = [c for c in await list_calls(s, tenant=TENANT) if c.room == room]
                facts = await load_call_facts(s, calls[0].id) if calls else None
            if (facts is not None and "Ended" in facts.path[-1:]) or (
                facts is not None and facts.path and facts.path[-1] in ENDS
            ):
                return facts
            assert time.monotonic() < deadline, f"the call in {room} did not end: {facts}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


async def test_a_caller_books_a_table_by_voice(stack: LocalStack, stack_settings: Settings) -> None:
    report = await run_demo_call(stack_settings, stack.url, tenant=TENANT, script=BOOKING)
    summary = report.to_json()
    assert report.hung_up, summary
    facts = await stored_call(stack_settings, report.room)
    london = ZoneInfo("Europe/London")
    tomorrow = (datetime.now(london) + timedelta(days=1)).date()
    assert facts.slots == {
        "call_type": "booking",
        "party_size": "4",
        "booking_at": datetime(
            tomorrow.year, tomorrow.month, tomorrow.day, 19, tzinfo=london
        ).isoformat(),
        "name": "Peter Smith",
        "phone": "+447700900123",
        "booking_ok": "yes",
    }, summary
    assert facts.path[-1] == "booking_made"
    assert "booked in, Peter Smith" in " ".join(t.said for t in report.turns)
