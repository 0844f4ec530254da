"""A caller books a table by voice: the receptionist flow walked to its end through a real
livekit-server, with every slot filled, as the call store records it.

The caller speaks eSpeak NG audio; the agent hears it with PocketSphinx, through the
grammar of each node's expected answers (phrases, or the wording pattern of a typed
answer: a number, a date and time, a name, a phone number).
"""

from __future__ import annotations

import pytest

from agent.config import Settings
from agent.demo.call import run_demo_call
from agent.stack import LocalStack
from tests.callers import booked_table_slots, stored_call

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT = "crumb-and-co"  # answers with flows/receptionist.yaml


async def test_a_caller_books_a_table_by_voice(stack: LocalStack, stack_settings: Settings) -> None:
    report = await run_demo_call(stack_settings, stack.url, tenant=TENANT)
    summary = report.to_json()
    assert report.hung_up, summary
    facts = await stored_call(
        stack_settings, report.room, TENANT, until=lambda f: f.path[-1:] == ("booking_made",)
    )
    assert facts.slots == booked_table_slots(facts.started_at), summary
    assert facts.path[-1] == "booking_made"
    assert "booked in, Peter Smith" in " ".join(t.said for t in report.turns)
