"""A simulated caller talks to the agent through a real livekit-server on loopback.

The caller speaks eSpeak NG audio into a real microphone track; the agent's audio is
decoded back with the local STT, and the transcription streams the agent publishes give
the agent's side of the transcript.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from agent.config import Settings
from agent.control.dispatch import dispatch_call, livekit_api, participant_token
from agent.demo.call import run_demo_call
from agent.demo.caller import SimulatedCaller
from agent.demo.report import recall
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.stack import LocalStack
from tests.callers import (
    DEMO_TENANT,
    agent_said,
    call,
    caller_transcribed,
    settings_for,
    stored_call,
    wait_for_agent_speech,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TENANT = DEMO_TENANT  # the skeleton's demo flow: hours, specials


async def test_caller_speaks_and_agent_answers(stack: LocalStack, stack_settings: Settings) -> None:
    report = await run_demo_call(stack_settings, stack.url, tenant=TENANT)
    summary = report.to_json()
    assert report.ok, summary
    turns = report.turns
    hours = next(i for i, t in enumerate(turns) if t.said == "opening hours")
    answer = turns[hours + 1]
    assert answer.speaker == "agent"
    assert "open" in answer.said.lower()
    # the caller decoded the agent's audio into (most of) the same words
    assert recall(answer.said, answer.heard) >= 0.5, answer
    # the transcript holds both sides
    speakers = {t.speaker for t in turns}
    assert speakers == {"agent", "caller"}
    # every caller turn got an answer (a line the agent asked for again is said again)
    caller_turns = summary["caller_turns"]
    assert isinstance(caller_turns, int) and caller_turns >= 4, summary
    assert summary["latency_ms"]["count"] == caller_turns  # type: ignore[index]


async def test_silence_and_low_noise_make_no_turn(
    stack: LocalStack, stack_settings: Settings
) -> None:
    async with call(stack, stack_settings, TENANT) as (caller, _room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        quiet_from = time.time()
        rng = np.random.default_rng(7)
        noise = (rng.standard_normal(48000 * 4) * 40).astype(np.int16)  # ~-58 dBFS hiss
        await caller.play(noise)
        await asyncio.sleep(0.5)
        assert caller_transcribed(caller) == ""
        assert caller.first_agent_audio_after(quiet_from) is None  # the agent kept waiting


async def test_barge_in_stops_the_agent(stack: LocalStack, stack_settings: Settings) -> None:
    async with call(stack, stack_settings, TENANT) as (caller, room):
        started = await wait_for_agent_speech(caller)
        await asyncio.sleep(1.5)  # the greeting and question last well over 4 s
        spoken = await caller.say("opening hours")
        await caller.agent_turn_done(spoken.end, timeout=60)
        greeting = max((h for h in caller.heard if h.start <= spoken.start), key=lambda h: h.start)
        # The caller really spoke over the agent ...
        assert greeting.end > spoken.start + 0.3, (greeting, spoken)
        # ... and the greeting stopped soon after, long before its natural end.
        assert greeting.end - spoken.start < 2.5, (greeting, spoken)
        assert greeting.end - started < 5.0
        # The interrupting words were handled: the agent answered with the hours.
        assert "open" in agent_said(caller).lower()
        # The agent heard them (over its own voice, on a loaded machine "hours" may blur).
        assert caller_transcribed(caller).lower().startswith("opening")
        # The transition ran exactly once, in one piece: the stored path has no repeat.
        facts = await stored_call(
            stack_settings, room, TENANT, until=lambda f: "anything_else" in f.path
        )
        assert facts.path == ("greeting", "topic", "hours", "anything_else")
        assert facts.slots == {"topic": "hours"}


async def test_silent_caller_gets_reprompt_then_goodbye(
    stack: LocalStack, stack_settings: Settings
) -> None:
    async with call(stack, stack_settings, TENANT) as (caller, _room):
        await wait_for_agent_speech(caller)
        await asyncio.wait_for(caller.disconnected.wait(), timeout=90)
        said = agent_said(caller).lower()
        assert "sorry" in said or "still there" in said, said  # the reprompt
        assert "goodbye" in said, said
        assert caller_transcribed(caller) == ""


async def test_the_agent_waits_for_a_late_visitor_before_greeting(
    stack: LocalStack, stack_settings: Settings
) -> None:
    """A web visitor's room is created and the agent dispatched before the visitor joins:
    the agent waits for them, so they get the greeting's transcript from its first word
    (without the wait, 1 run in 4 got no transcript of it: the stream was opened before
    they joined), and its audio."""
    settings = settings_for(stack, stack_settings)
    lkapi = livekit_api(settings)
    try:
        dispatched = await dispatch_call(lkapi, settings, tenant=TENANT)
    finally:
        await lkapi.aclose()
    await asyncio.sleep(6)  # the agent joins within a second or two; the greeting lasts ~8 s
    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    try:
        token = participant_token(settings, room=dispatched.room, identity="caller")
        await caller.join(stack.url, token)
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        said = agent_said(caller)
        assert said.startswith("Good "), said  # "Good morning, thanks for calling ..."
    finally:
        await caller.leave()
        await ear.aclose()
