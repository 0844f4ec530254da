"""A meeting room of the bakery runs its wholesale discovery flow, not the receptionist:
real livekit-server and worker, the room dispatched with ``source: meeting``; the call is
stored as a meeting, and its post-call analysis carries the meeting fields."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from agent.config import Settings
from agent.stack import LocalStack
from agent.store import Store
from agent.store.report import CallReport, call_report
from tests.callers import call, wait_for_agent_speech

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
        assert await caller.agent_turn_done(start, timeout=60)
        said_at = time.time()
        await caller.say("my name is peter smith")
        assert await caller.agent_turn_done(said_at, timeout=60)
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
