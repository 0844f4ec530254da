"""Expected-answer endpointing through a real livekit-server: a caller who reads out the
phone number in two groups, pausing between them longer than the generic end-of-speech
silence (0.45 s), is not cut off: the first group is the start of a number (short of
its country's length), so the agent waits for the rest, and books the whole number.
With the generic endpointing the turn ended after the first group and the agent asked
again."""

from __future__ import annotations

import numpy as np
import pytest

from agent.config import Settings
from agent.demo.caller import CALLER_VOICE, RATE, SimulatedCaller, Spoken, _resample
from agent.providers.espeak import asynthesize_pcm
from agent.stack import LocalStack
from tests.callers import (
    agent_said,
    booked_table_slots,
    call,
    caller_transcribed,
    stored_call,
    wait_for_agent_speech,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT = "crumb-and-co"  # answers with flows/receptionist.yaml
BEFORE_THE_NUMBER = (
    "book a table",
    "four",
    "saturday at eleven in the morning",
    "my name is peter smith",
)
GROUPS = ("zero two zero nine", "four six zero one two three four")
PAUSE_S = 0.8  # between the groups: longer than FRONTDESK_VAD_SILENCE, shorter than
# FRONTDESK_PARTIAL_ANSWER_DELAY


async def _say_in_groups(caller: SimulatedCaller, groups: tuple[str, ...]) -> Spoken:
    pieces: list[np.ndarray] = []
    for i, text in enumerate(groups):
        pcm, rate = await asynthesize_pcm(text, CALLER_VOICE)
        pcm = _resample(pcm, rate)  # eSpeak's rate, to the microphone's
        if i:
            pieces.append(np.zeros(int(PAUSE_S * RATE), dtype=np.int16))
        pieces.append(pcm)
    return await caller.play(np.concatenate(pieces), text=" ".join(groups))


async def test_a_number_read_in_two_groups_is_not_cut_off(
    stack: LocalStack, stack_settings: Settings
) -> None:
    async with call(stack, stack_settings, TENANT) as (caller, room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=90)
        for line in BEFORE_THE_NUMBER:
            spoken = await caller.say(line)
            assert await caller.agent_turn_done(spoken.end, timeout=90), line
        spoken = await _say_in_groups(caller, GROUPS)
        assert await caller.agent_turn_done(spoken.end, timeout=90)
        spoken = await caller.say("yes")
        assert await caller.agent_turn_done(spoken.end, timeout=90)
        facts = await stored_call(
            stack_settings, room, TENANT, until=lambda f: f.path[-1:] == ("booking_made",)
        )
    heard = caller_transcribed(caller)
    assert " ".join(GROUPS) in heard, heard
    # one turn for the whole number: never asked again ("Sorry, ...")
    assert "sorry" not in agent_said(caller).lower(), agent_said(caller)
    assert facts.slots == booked_table_slots(facts.started_at), heard
