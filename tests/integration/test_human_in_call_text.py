"""A person in the call, in text mode: the voice runtime (:class:`FlowAgent` on a livekit
``AgentSession`` with eSpeak speech played in real time) holds the call at a waiting
handoff, stops speaking and answering while a person is in, says its one introducing
line, and resumes at the handoff's ``next`` when they hand back; nobody in the wait
time runs the ``on_timeout`` path and tells the owner (here: a callback)."""

from __future__ import annotations

import asyncio

import pytest

from agent.flow import parse_flow
from agent.flow.events import HandedBack, HandoffTimedOut, HumanJoined
from tests.integration.test_barge_in_text import call

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(120)]

HOLD = parse_flow(
    """\
version: 1
id: hold
start: menu
globals:
  human: {to: handoff}
nodes:
  menu:
    kind: ask
    prompt: Anything else?
    slot: more
    type: yes_no
    transitions:
      - {when: "yes", to: done}
      - {when: "no", to: done}
      - {when: retries_exhausted, to: done}
  handoff:
    kind: handoff
    text: Please hold on.
    next: back
    on_timeout: sorry
  back:
    kind: say
    text: Thanks for holding.
    next: done
  sorry:
    kind: say
    text: Nobody is free, we will call you back.
    next: done
  done:
    kind: end
    text: Bye.
"""
)


async def test_the_agent_listens_only_while_a_person_is_in() -> None:
    async with call(HOLD) as c:
        await c.listening()
        c.agent.user_said("can I speak to a human")
        await c.when(lambda: c.machine.state.current == "handoff")
        # the menu's prompt, then the hold line, both played out: the call is on hold
        await c.when(lambda: len(c.speaker.played) >= 2 and not c.speaker.playing)
        played = len(c.speaker.played)
        c.agent.human_joined("staff-1", "You are now with Anna.")
        await c.when(lambda: len(c.speaker.played) == played + 1)  # the one line
        c.agent.user_said("yes I want to order a cake")  # said to the person, not the flow
        c.agent.user_said("no")
        await asyncio.sleep(1.5)
        assert len(c.speaker.played) == played + 1 and not c.speaker.playing
        assert c.machine.state.current == "handoff"
        c.agent.human_left("staff-1")
        await asyncio.wait_for(c.hung_up.wait(), 30)
    types = [type(e) for e in c.sink.events]
    assert types.index(HumanJoined) < types.index(HandedBack)
    assert HandoffTimedOut not in types
    assert c.machine.state.path[-3:] == ("handoff", "back", "done")


async def test_nobody_comes_and_the_timeout_path_runs() -> None:
    told: list[bool] = []
    async with call(HOLD, handoff_wait_s=0.5, on_handoff_timeout=lambda: told.append(True)) as c:
        await c.listening()
        c.agent.user_said("can I speak to a human")
        await asyncio.wait_for(c.hung_up.wait(), 30)
    assert told == [True]
    assert c.machine.state.path[-3:] == ("handoff", "sorry", "done")
    assert any(isinstance(e, HandoffTimedOut) for e in c.sink.events)
