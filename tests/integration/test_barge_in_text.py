"""Transactional transitions under barge-in, in text mode: the voice runtime
(:class:`~agent.flow.runtime.FlowAgent` on a livekit ``AgentSession`` with real eSpeak
speech played in real time by :class:`~tests.speaker.Speaker`), with the caller's turns
typed in at chosen moments of the agent's speech.

Each test interrupts at one phase: during a node's prompt, during a transition's words
(a say node on the way, an LLM consult) and during the next node's first words. After
each, the flow took every transition at most once, no transition was half done, and the
interrupting words were handled by the node that was current.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession, StopResponse, llm

from agent.config import ROOT
from agent.flow import FlowMachine, ListSink, TemplateContext, TenantInfo, load_flow, parse_flow
from agent.flow.assist import LlmAssistant
from agent.flow.events import SlotSet, TransitionTaken
from agent.flow.model import Flow
from agent.flow.runtime import FlowAgent
from agent.providers.espeak_tts import ESpeakTTS
from tests.fake_llm import FakeLLM, FakeResponse
from tests.speaker import Speaker

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(120)]

DEMO = load_flow(ROOT / "flows" / "demo_bakery.yaml")
CTX = TemplateContext(TenantInfo(name="Crumb and Co", timezone="UTC"))
MORNING = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)


@dataclass
class Call:
    agent: FlowAgent
    machine: FlowMachine
    sink: ListSink
    speaker: Speaker
    hung_up: asyncio.Event

    async def when(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for the call"
            await asyncio.sleep(0.02)

    async def speaking_for(self, seconds: float) -> None:
        """Wait until the agent has been speaking its current segment for ``seconds``."""
        await self.when(lambda: self.speaker.playing and self.speaker.seconds_played() >= seconds)

    async def listening(self) -> None:
        """Wait until the agent finished speaking and waits for the caller."""
        await self.when(lambda: self.agent.waiting and not self.speaker.playing)

    def transitions(self) -> list[tuple[str, str]]:
        return [
            (e.from_node, e.to_node) for e in self.sink.events if isinstance(e, TransitionTaken)
        ]

    def assert_transactional(self) -> None:
        """Every transition once at most, and the path is exactly the transitions taken."""
        taken = self.transitions()
        assert all(n == 1 for n in Counter(taken).values()), f"a transition repeated: {taken}"
        path = self.machine.state.path
        assert list(itertools.pairwise(path)) == taken


def _no_hints(phrases: object, *, pattern: object = None) -> None:
    """Text mode has no recognizer to bias."""


@asynccontextmanager
async def call(
    flow: Flow,
    *,
    assistant: LlmAssistant | None = None,
    on_turn: Callable[[llm.ChatMessage], None] | None = None,
    prepare: Callable[[str], None] | None = None,
    handoff_wait_s: float = 60.0,
    on_handoff_timeout: Callable[[], None] | None = None,
) -> AsyncIterator[Call]:
    sink = ListSink()
    machine = FlowMachine(flow, CTX, sink=sink, clock=lambda: MORNING, assisted=bool(assistant))
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    agent = FlowAgent(
        machine,
        set_hints=_no_hints,
        hang_up=hang_up,
        assistant=assistant,
        on_turn=on_turn,
        prepare=prepare,
        handoff_wait_s=handoff_wait_s,
        on_handoff_timeout=on_handoff_timeout,
    )
    session: AgentSession[None] = AgentSession(tts=ESpeakTTS())
    speaker = Speaker()
    session.output.audio = speaker
    await session.start(agent)
    try:
        yield Call(agent, machine, sink, speaker, hung_up)
    finally:
        await session.aclose()


async def seconds_of(text: str) -> float:
    """How long eSpeak takes to say ``text`` (to aim an interruption inside a speech)."""
    tts = ESpeakTTS()
    total = 0.0
    async with tts.synthesize(text) as stream:
        async for audio in stream:
            total += audio.frame.duration
    return total


async def test_interrupting_the_prompt_is_answered_by_the_node_asking() -> None:
    async with call(DEMO) as c:
        await c.speaking_for(0.6)  # in the greeting, before the question is even asked
        c.agent.user_said("the opening hours please")
        await c.listening()
        assert c.speaker.played[0][1], "the greeting was not cut short"
        assert c.machine.state.slots["topic"] == "hours"
        assert c.machine.state.path == ("greeting", "topic", "hours", "anything_else")
        c.assert_transactional()


async def test_interrupting_the_words_of_a_transition_goes_to_the_node_it_leads_to() -> None:
    async with call(DEMO) as c:
        await c.listening()
        c.agent.user_said("opening hours")
        await c.speaking_for(0.5)  # in the hours (a say node on the way to anything_else)
        c.agent.user_said("no thanks")
        await c.hung_up.wait()
        assert c.speaker.played[1][1], f"the hours were not cut short: {c.speaker.played}"
        assert c.machine.state.slots == {"topic": "hours", "anything_else": "no"}
        assert c.machine.state.path == ("greeting", "topic", "hours", "anything_else", "end")
        c.assert_transactional()


async def test_interrupting_the_next_nodes_first_words_is_answered_by_that_node() -> None:
    hours = await seconds_of(
        "We're open Tuesday to Sunday, from seven in the morning until six in the evening."
    )
    async with call(DEMO) as c:
        await c.listening()
        c.agent.user_said("opening hours")
        await c.speaking_for(hours + 0.4)  # the first words of "Is there anything else..."
        c.agent.user_said("yes please")
        await c.listening()
        assert c.speaker.played[1][1]
        assert c.machine.state.slots["anything_else"] == "yes"
        assert c.machine.state.current == "topic"  # anything_else said yes: back to the menu
        c.assert_transactional()


async def test_words_of_an_interruption_are_never_lost_and_never_doubled() -> None:
    async with call(DEMO) as c:
        for words in ("specials", "no"):
            await c.speaking_for(0.4)
            c.agent.user_said(words)
        await c.hung_up.wait()
        said = [e.raw_text for e in c.sink.events if isinstance(e, SlotSet)]
        assert said == ["specials", "no"]
        assert c.machine.state.heard == ("specials", "no")
        c.assert_transactional()


TOOL_FLOW = parse_flow(
    """\
version: 1
id: party
start: size
nodes:
  size:
    kind: ask
    prompt: How many people are coming to the party?
    slot: size
    type: number
    transitions:
      - {when: {if: "slots.size > 8"}, to: big}
      - {when: always, to: small}
      - {when: retries_exhausted, to: small}
  big: {kind: say, text: "Let me check that for a big group of {{ slots.size }}.", next: done}
  small: {kind: say, text: "Lovely, a table for {{ slots.size }}.", next: done}
  done:
    kind: ask
    prompt: Shall I book it?
    slot: book
    type: yes_no
    transitions: [{when: always, to: bye}, {when: retries_exhausted, to: bye}]
  bye: {kind: end, text: Goodbye.}
"""
)


async def test_words_added_during_an_llm_consult_join_the_turn_which_runs_once() -> None:
    fake = FakeLLM([FakeResponse(tool_calls=[("set_size", {"value": "12"})], delay_s=1.0)])
    async with call(TOOL_FLOW, assistant=LlmAssistant(fake, timeout_s=5)) as c:
        await c.listening()
        c.agent.user_said("me and the whole team")  # no number: the LLM is consulted
        await c.when(lambda: c.agent.consulting and len(fake.requests) == 1)
        c.agent.user_said("from work")  # the caller goes on while the LLM thinks
        await c.speaking_for(0.3)
        assert len(fake.requests) == 2  # the first consult was dropped, the joined turn asked
        last_user = fake.requests[-1].chat_ctx.items[-1]
        assert "me and the whole team from work" in str(getattr(last_user, "content", ""))
        await c.listening()
        assert c.machine.state.slots["size"] == "12"
        assert c.machine.state.path == ("size", "big", "done")
        c.assert_transactional()


async def test_an_llm_that_times_out_leaves_the_turn_scripted() -> None:
    fake = FakeLLM([FakeResponse(text="never mind", delay_s=30)])
    async with call(TOOL_FLOW, assistant=LlmAssistant(fake, timeout_s=0.5)) as c:
        await c.listening()
        c.agent.user_said("a fair few of us")
        await c.listening()
        assert c.machine.state.current == "size" and c.machine.state.retries == 1
        c.agent.user_said("ten")
        await c.listening()
        assert c.machine.state.path == ("size", "big", "done")


async def test_a_completed_turn_is_handed_over_prepared_off_the_loop_then_read() -> None:
    """livekit's end of a caller turn: the recorder gets the message (with its metrics),
    the blocking preparation (a hybrid search's embedding) runs in a thread, and only
    then does the flow read the words."""
    heard: list[llm.ChatMessage] = []
    prepared: list[tuple[str, bool, tuple[str, ...]]] = []
    loop_thread = threading.get_ident()

    def prepare(text: str) -> None:
        in_thread = threading.get_ident() != loop_thread
        prepared.append((text, in_thread, c.machine.state.path))

    async with call(DEMO, on_turn=heard.append, prepare=prepare) as c:
        await c.listening()
        # an answer to an ask searches nothing, so nothing is prepared for it ...
        message = llm.ChatMessage(role="user", content=["opening hours"], transcript_confidence=0.9)
        assert not c.machine.may_search("opening hours")
        # ... here the turn is taken as one that may search, to see where preparing runs
        c.machine.may_search = lambda text: True  # type: ignore[method-assign]
        with pytest.raises(StopResponse):  # the flow answers, not an LLM
            await c.agent.on_user_turn_completed(llm.ChatContext(), message)
        assert heard == [message]
        # prepared in a thread, before the machine moved
        assert prepared == [("opening hours", True, ("greeting", "topic"))]
        await c.listening()
        assert c.machine.state.slots["topic"] == "hours"
