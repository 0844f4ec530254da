"""The no-input timeout counts the caller's silence from the end of the agent's speech as
played (livekit's playout), never from when it was sent: the voice runtime
(:class:`~agent.flow.runtime.FlowAgent` on an ``AgentSession`` whose audio plays in real
time through :class:`~tests.speaker.Speaker`) hears a caller's noise that ends while a
long question is still being spoken (no words, no barge-in), and the question still gets
its whole timeout after it has played."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession
from livekit.agents.voice.events import UserStateChangedEvent

from agent.flow import FlowMachine, ListSink, TemplateContext, TenantInfo, parse_flow
from agent.flow.events import Reprompt
from agent.flow.runtime import FlowAgent
from agent.providers.espeak_tts import ESpeakTTS
from tests.speaker import Speaker

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(120)]

TIMEOUT_S = 2.0
FLOW = parse_flow(
    f"""\
version: 1
id: confirm
start: confirm
nodes:
  confirm:
    kind: ask
    prompt: >-
      So that's a table for four, on Saturday the twenty eighth at eleven in the morning,
      under the name Peter Smith, and your number is oh two oh, nine four six oh, one two
      three four. Shall I book that for you?
    slot: book
    type: yes_no
    no_input_timeout: {TIMEOUT_S}
    transitions: [{{when: always, to: bye}}, {{when: retries_exhausted, to: bye}}]
  bye: {{kind: end, text: Goodbye.}}
"""
)


def _no_hints(phrases: object, *, pattern: object = None) -> None:
    """Text mode has no recognizer to bias."""


async def test_silence_is_counted_from_the_end_of_the_speech_as_played() -> None:
    sink = ListSink()
    clock = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    machine = FlowMachine(
        FLOW, TemplateContext(TenantInfo(name="Crumb")), sink=sink, clock=lambda: clock
    )

    async def hang_up() -> None:
        pass

    agent = FlowAgent(machine, set_hints=_no_hints, hang_up=hang_up)
    session: AgentSession[None] = AgentSession(tts=ESpeakTTS())
    speaker = Speaker()
    session.output.audio = speaker
    await session.start(agent)
    try:
        deadline = time.monotonic() + 30
        while not (speaker.playing and speaker.seconds_played() >= 0.5):
            assert time.monotonic() < deadline, "the question was never played"
            await asyncio.sleep(0.02)
        # a cough on the line: the caller's VAD says speaking, then listening again,
        # with no words and too short to interrupt the agent
        for old, new in (("listening", "speaking"), ("speaking", "listening")):
            session.emit("user_state_changed", UserStateChangedEvent(old_state=old, new_state=new))
        while not speaker.played:  # the question plays to its end (well over 2 s more)
            assert time.monotonic() < deadline, "the question never ended"
            assert not _no_inputs(sink), "no-input counted while the question was playing"
            await asyncio.sleep(0.02)
        assert not speaker.played[0][1], "the question was cut short"
        assert not _no_inputs(sink), "no-input counted while the question was playing"
        # ... and once it has played, the caller's silence does count
        while not _no_inputs(sink):
            assert time.monotonic() < deadline + 30, "the silence after it never counted"
            await asyncio.sleep(0.05)
    finally:
        await session.aclose()


def _no_inputs(sink: ListSink) -> list[Reprompt]:
    return [e for e in sink.events if isinstance(e, Reprompt) and e.reason == "no_input"]
