"""A meeting room of the bakery runs its wholesale discovery flow, not the receptionist:
real livekit-server and worker, the room dispatched with ``source: meeting``; the call is
stored as a meeting, and its post-call analysis carries the meeting fields."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from agent.config import Settings
from agent.control.dispatch import participant_token
from agent.demo.caller import SimulatedCaller
from agent.stack import LocalStack
from agent.store import Store
from agent.store.report import CallReport, call_report
from tests.callers import call, settings_for, wait_for_agent_speech

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TENANT = "crumb-and-co"  # flow: receptionist; flows.meeting: discovery_meeting


async def _analysed(settings: Settings, room: str, timeout: float = 90) -> CallReport:
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                report = await call_report(s, room)
            if report is not None and report.as_dict()["analyses"]:
                return report
            assert time.monotonic() < deadline, f"no analysed call for room {room}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


async def test_a_meeting_runs_the_tenants_meeting_flow(
    stack: LocalStack, stack_settings: Settings
) -> None:
    async with call(stack, stack_settings, TENANT, source="meeting") as (caller, room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60, drain=False)
        said_at = time.time()
        await caller.say("my name is peter smith")
        assert await caller.agent_turn_done(said_at, timeout=60, drain=False)
        for _attempt in range(2):  # a caller says goodbye again when not heard
            await caller.say("goodbye")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caller.disconnected.wait(), timeout=30)
                break
        assert caller.disconnected.is_set(), "the agent did not hang up after goodbye"
    report = await _analysed(stack_settings, room)
    data = report.as_dict()
    assert (data["call"]["source"], data["call"]["flow_id"]) == ("meeting", "discovery_meeting")
    intro = next(t for t in data["turns"] if t["speaker"] == "agent")
    assert "wholesale" in intro["text"].lower(), intro  # the discovery flow's intro
    path = [e["payload"]["node"] for e in data["events"] if e["type"] == "NodeEntered"]
    assert path[:2] == ["intro", "contact_name"] and path[-1] == "goodbye", path
    (analysis,) = data["analyses"]
    assert analysis["meeting"] is not None, analysis  # MeetingAnalysis fields, for meetings
    assert {"lead_score", "qualification_status", "next_steps"} <= set(analysis["meeting"])


async def test_two_attendees_answer_the_discovery_flow_each_under_their_name(
    stack: LocalStack, stack_settings: Settings
) -> None:
    """Ada gives her name, Bob names the business: the flow takes both answers, in
    turn, and stores each under the attendee who said it."""
    settings = settings_for(stack, stack_settings)
    async with call(stack, stack_settings, TENANT, source="meeting") as (ada, room):
        bob = SimulatedCaller(None)  # Ada's ear checks the agent; Bob's would only add load
        await bob.join(stack.url, participant_token(settings, room=room, identity="bob"))
        try:
            # Each answers as soon as the agent is quiet, as a person would: waiting for
            # the test's ears to decode the agent's long intro (two ears on one loaded
            # machine) outlasted the agent's no-input timeout in CI.
            start = await wait_for_agent_speech(ada)
            assert await ada.agent_turn_done(start, timeout=60, drain=False)  # "who am I ..."
            said = await ada.say("my name is peter smith")
            assert await ada.agent_turn_done(said.end, timeout=60, drain=False)  # "business?"
            said = await bob.say("the business is called hackney coffee")
            assert await bob.agent_turn_done(said.end, timeout=60, drain=False)  # the opener
        finally:
            await bob.leave()
    report = await _analysed(stack_settings, room)
    data = report.as_dict()
    callers = [(t["speaker_identity"], t["text"].lower()) for t in data["turns"]]
    callers = [(who, text) for who, text in callers if who is not None]
    assert [who for who, _ in callers[:2]] == ["caller", "bob"], callers  # ada is "caller"
    slots = {
        e["payload"]["slot"]: e["payload"]["value"]
        for e in data["events"]
        if e["type"] == "SlotSet"
    }
    path = [e["payload"]["node"] for e in data["events"] if e["type"] == "NodeEntered"]
    seen = (slots, callers, path)  # what a failure needs to be understood
    assert "peter" in str(slots.get("contact_name", "")).lower(), seen
    # Bob's words fill the company, whatever Whisper made of "hackney" (it once heard
    # "we'll happily coffee"): the point is whose turn filled which slot (the slot is
    # what he named, after "... is called")
    bobs = next(text for who, text in callers if who == "bob").rstrip(".!? ")
    company = str(slots.get("company", "")).lower()
    assert company and bobs.endswith(company), seen
