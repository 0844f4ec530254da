"""An LLM that goes down mid-call: the turn runs scripted and the call goes on.

The flow runs on a livekit ``AgentSession`` in text mode whose LLM is a scripted cloud
stand-in (:mod:`tests.fake_llm`) that the assistant uses, as in the worker: it answers,
then fails on cue. The session counts each failed LLM request as livekit's
unrecoverable error and closes the call after three in a row without speech: a turn
asks a failing LLM once (no retries the caller would wait through) and then runs
scripted, its lines as written, so a turn that would phrase several lines never
closes the call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession
from livekit.agents.voice.events import CloseEvent

from agent.flow import FlowMachine, ListSink, TemplateContext, TenantInfo, parse_flow
from agent.flow.assist import LlmAssistant
from agent.flow.events import AssistFailed
from agent.flow.runtime import FlowAgent
from agent.providers.espeak_tts import ESpeakTTS
from tests.fake_llm import FakeLLM, FakeResponse
from tests.speaker import Speaker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CTX = TemplateContext(TenantInfo(name="Crumb and Co", timezone="UTC"))
MORNING = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
WARM = "Be warm and brief."
PARTY = parse_flow(
    f"""\
version: 1
id: party
start: size
nodes:
  size:
    kind: ask
    prompt: How many people are coming to the party?
    instructions: {WARM}
    slot: size
    type: number
    transitions:
      - {{when: always, to: thanks}}
      - {{when: retries_exhausted, to: thanks}}
  thanks: {{kind: say, text: "Thank you.", instructions: {WARM}, next: room}}
  room: {{kind: say, text: "We have a room for that.", instructions: {WARM}, next: cake}}
  cake: {{kind: say, text: "Cake is included.", instructions: {WARM}, next: book}}
  book:
    kind: ask
    prompt: Shall I book it?
    instructions: {WARM}
    slot: book
    type: yes_no
    transitions: [{{when: always, to: bye}}, {{when: retries_exhausted, to: bye}}]
  bye: {{kind: end, text: Goodbye.}}
"""
)
DOWN = FakeResponse(error="503 service unavailable", retryable=True)


@dataclass
class Call:
    agent: FlowAgent
    machine: FlowMachine
    sink: ListSink
    speaker: Speaker
    hung_up: asyncio.Event
    closed: list[CloseEvent] = field(default_factory=list)

    async def listening(self, after: int = 0, timeout: float = 20.0) -> None:
        """Wait until the agent spoke more than ``after`` segments and waits for the caller."""
        deadline = time.monotonic() + timeout
        while not (
            len(self.speaker.played) > after and self.agent.waiting and not self.speaker.playing
        ):
            assert not self.closed, f"the session closed: {self.closed}"
            assert time.monotonic() < deadline, "timed out waiting for the agent to listen"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def call(fake: FakeLLM) -> AsyncIterator[Call]:
    sink = ListSink()
    machine = FlowMachine(PARTY, CTX, sink=sink, clock=lambda: MORNING, assisted=True)
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    session: AgentSession[None] = AgentSession(tts=ESpeakTTS(), llm=fake)
    # as the worker does: the assistant asks the session's LLM, whose errors it counts
    assert session.llm is fake
    agent = FlowAgent(
        machine,
        set_hints=lambda phrases, *, pattern=None: None,
        hang_up=hang_up,
        assistant=LlmAssistant(fake),
    )
    speaker = Speaker()
    session.output.audio = speaker
    c = Call(agent, machine, sink, speaker, hung_up)
    session.on("close", c.closed.append)
    await session.start(agent)
    try:
        yield c
    finally:
        await session.aclose()


async def test_an_llm_down_mid_call_leaves_each_turn_scripted_and_the_call_goes_on() -> None:
    """Up, then down for two turns (scripted, the call stays open), then up again."""
    fake = FakeLLM([FakeResponse(text="So, how many of you are coming?")])
    async with call(fake) as c:
        await c.listening()
        assert c.speaker.played, "the phrased prompt was not spoken"

        fake.script[:] = [DOWN]  # the LLM goes down mid-call
        attempts = fake.attempts
        asked = time.monotonic()
        c.agent.user_said("me and the whole team from work")  # no number: a consult
        await c.listening(after=len(c.speaker.played))
        scripted_after = time.monotonic() - asked
        # the consult failed at once (livekit's retries would make the caller wait out
        # the assistant's whole timeout): the size question is asked again, scripted
        assert fake.attempts - attempts == 1  # the consult, once; the reprompt as written
        assert scripted_after < 3.0, scripted_after
        assert c.machine.state.current == "size" and c.machine.state.retries == 1
        assert any(isinstance(e, AssistFailed) for e in c.sink.events)

        # four lines to phrase in one step: one failed request, the rest said as written
        attempts = fake.attempts
        c.agent.user_said("twelve")
        await c.listening(after=len(c.speaker.played))
        assert c.machine.state.path == ("size", "thanks", "room", "cake", "book")
        assert fake.attempts - attempts == 1
        # the LLM is back: the next turn no matcher understands is its again
        fake.script[:] = [FakeResponse(tool_calls=[("set_book", {"value": "yes"})])]
        failures = sum(isinstance(e, AssistFailed) for e in c.sink.events)
        c.agent.user_said("go on then, pop it in the diary")
        await asyncio.wait_for(c.hung_up.wait(), 20)
        assert fake.requests[-1].tool_names == ("set_book",)
        assert sum(isinstance(e, AssistFailed) for e in c.sink.events) == failures
        assert c.machine.state.slots == {"size": "12", "book": "yes"}
        assert not c.closed, f"the session closed on the LLM's errors: {c.closed}"
