"""The meeting assistant with two attendees: real livekit-server and worker, a meeting room
in ``assistant`` mode, two simulated attendees speaking eSpeak NG audio.

Ada says something to Bob (the assistant stays quiet); Bob asks the assistant a question
by its name (it answers from the bakery's documents); both leave. The stored call holds
each line under the attendee who said it, the agent's introduction and its one answer,
and the summary with Ada's action item.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from livekit import api

from agent.config import Settings
from agent.control.dispatch import participant_token
from agent.demo.caller import SimulatedCaller
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.stack import LocalStack
from agent.store import Store
from agent.store.report import call_report
from tests.callers import settings_for, wait_for_agent_speech

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TENANT = "crumb-and-co"  # meeting_assistant.names: the default, "assistant"
ADA = "we will send you the new price list by friday"
BOB = "assistant what are your opening hours on sunday"


async def _stored(settings: Settings, room: str, timeout: float = 90) -> dict[str, Any]:
    """The room's stored call once the meeting's summary and its post-call analysis are
    in it."""
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                report = await call_report(s, room)
            data = report.as_dict() if report is not None else None
            summarized = data and any(e["type"] == "MeetingSummarized" for e in data["events"])
            if data and summarized and data["analyses"]:
                return data
            assert time.monotonic() < deadline, f"no summarized meeting for room {room}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


def _agent_said_since(caller: SimulatedCaller, since: float) -> str:
    return " ".join(t.text for t in caller.transcripts if not t.own_speech and t.at > since)


async def test_the_assistant_transcribes_both_and_answers_only_when_addressed(
    stack: LocalStack, stack_settings: Settings
) -> None:
    settings = settings_for(stack, stack_settings)
    room = f"meeting-assistant-{int(time.time() * 1000)}"
    metadata = json.dumps({"tenant": TENANT, "source": "meeting", "mode": "assistant"})
    lkapi = api.LiveKitAPI(
        stack.url, settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()
    )
    try:
        await lkapi.room.create_room(
            api.CreateRoomRequest(name=room, metadata=metadata, empty_timeout=60)
        )
        await lkapi.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(
                agent_name=settings.agent_name, room=room, metadata=metadata
            )
        )
    finally:
        await lkapi.aclose()
    ears = [PocketSphinxSTT(), PocketSphinxSTT()]
    ada, bob = SimulatedCaller(ears[0]), SimulatedCaller(ears[1])
    try:
        await ada.join(stack.url, participant_token(settings, room=room, identity="ada"))
        await bob.join(stack.url, participant_token(settings, room=room, identity="bob"))
        intro = await wait_for_agent_speech(ada)
        assert await ada.agent_turn_done(intro, timeout=60), "the introduction never ended"

        spoken = await ada.say(ADA)
        await asyncio.sleep(6)  # time enough to answer, had it been asked
        assert _agent_said_since(ada, spoken.end) == "", "the assistant spoke unasked"

        spoken = await bob.say(BOB)
        assert await bob.agent_turn_done(spoken.end, timeout=60), "no answer to bob"
        answer = _agent_said_since(bob, spoken.end).lower()
        assert "9 a.m. to 2 p.m." in answer, answer
    finally:
        await ada.leave()
        await bob.leave()
        for ear in ears:
            await ear.aclose()

    data = await _stored(stack_settings, room)
    assert data["call"]["source"] == "meeting"
    lines = [(t["speaker_identity"], t["text"].lower()) for t in data["turns"]]
    ada_lines = [text for who, text in lines if who == "ada"]
    bob_lines = [text for who, text in lines if who == "bob"]
    assert any("price list" in text for text in ada_lines), lines
    assert any("sunday" in text for text in bob_lines), lines
    agent = [t["text"] for t in data["turns"] if t["speaker"] == "agent"]
    assert len(agent) == 2 and "meeting assistant" in agent[0].lower(), agent  # intro, answer
    summary = next(e for e in data["events"] if e["type"] == "MeetingSummarized")["payload"]
    assert summary["lines"] == {"ada": 1, "bob": 1} and summary["questions"] == 1, summary
    assert [item["who"] for item in summary["action_items"]] == ["ada"], summary
    assert data["analyses"][0]["meeting"] is not None  # the MeetingAnalysis of the lines
