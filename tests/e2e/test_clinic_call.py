"""A caller books a cleaning at the dental practice by voice: the general receptionist
flow, worded by its tenant (hudson-dental: its greeting, its services as the
appointment's choices, US phone numbers), walked to its end through a real
livekit-server, with every slot filled, as the call store records it.

The caller speaks eSpeak NG audio; the agent hears it with PocketSphinx, through the
grammar of each node's expected answers (the tenant's services, a date and time, a name,
digits).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from agent.config import Settings
from agent.demo.call import run_demo_call
from agent.stack import LocalStack
from agent.tenants import load_tenant
from agent.tenants.context import template_context
from tests.callers import stored_call

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT = "hudson-dental"  # answers with flows/general_receptionist.yaml


async def test_a_caller_books_a_cleaning_by_voice(
    stack: LocalStack, stack_settings: Settings
) -> None:
    report = await run_demo_call(stack_settings, stack.url, tenant=TENANT)
    summary = report.to_json()
    assert report.hung_up, summary
    facts = await stored_call(
        stack_settings,
        report.room,
        TENANT,
        until=lambda f: f.path[-1:] == ("appointment_booked",),
    )
    assert facts.slots == {
        "call_type": "appointment",
        "service": "cleaning",
        "appointment_at": _first_open_morning(stack_settings, facts.started_at).isoformat(),
        "name": "Peter Smith",
        "phone": "+12125550142",
        "appointment_ok": "yes",
    }, summary
    said = " ".join(t.said for t in report.turns if t.speaker == "agent")
    assert said.startswith("Good ") and "thank you for calling Hudson Street Dental" in said
    assert "a cleaning and check-up, a filling, teeth whitening" in said  # its services
    assert "your number is 2 1 2, 5 5 5, 0 1 4 2" in said  # read back the American way
    assert "booked in, Peter Smith" in said


def _first_open_morning(settings: Settings, now: datetime) -> datetime:
    """What the caller books: the next Tuesday at ten, else Wednesday, else Thursday,
    whichever the practice is open for first (a holiday closes a day)."""
    tenant = load_tenant(settings.tenants_dir, TENANT)
    hours = template_context(tenant).hours
    assert hours is not None
    local = now.astimezone(tenant.tz)
    for weekday in (1, 2, 3):  # the script's line, then the days it offers instead
        day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
        at = datetime.combine(day, time(10), local.tzinfo)
        at = at if at > local else at + timedelta(days=7)
        if hours.closed_at(at) is None:
            return at
    raise AssertionError(f"the practice is closed on Tuesday to Thursday after {local}")
