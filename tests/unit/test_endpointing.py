"""The session's expected-answer turn detector (agent/endpointing.py) on livekit's hook:
its end-of-turn probabilities, the VAD silence it sets per node, and its settings."""

from __future__ import annotations

import asyncio

import pytest
from livekit.agents import llm
from livekit.plugins import silero

from agent.config import Settings
from agent.endpointing import UNLIKELY, AnswerEndpointing, ExpectedAnswerTurns, turn_handling
from agent.flow.endpoint import NOTHING
from agent.providers.registry import load_vad

from .test_flow_endpoint import demo_at_topic

pytestmark = pytest.mark.unit


def _options(**changes: object) -> AnswerEndpointing:
    return AnswerEndpointing.of(Settings.model_validate(changes))


def _said(text: str) -> llm.ChatContext:
    ctx = llm.ChatContext()
    ctx.add_message(role="assistant", content="What would you like?")
    ctx.add_message(role="user", content=text)
    return ctx


def test_settings_default_to_a_short_silence_for_answers_and_a_long_one_after_a_start() -> None:
    opts = _options()
    assert opts.enabled
    assert opts.answer_vad_silence_s < opts.vad_silence_s
    assert opts.partial_delay_s > opts.vad_silence_s
    assert _options(answer_vad_silence_s=2.0).answer_vad_silence_s == opts.vad_silence_s


def test_the_detector_ends_whole_answers_and_waits_after_a_start() -> None:
    shared = load_vad(0.45)
    detector = ExpectedAnswerTurns(_options(), shared)
    detector.expect(demo_at_topic().expectation)

    async def predict(text: str) -> float:
        return await detector.predict_end_of_turn(_said(text))

    async def run() -> None:
        assert await detector.unlikely_threshold("en-US") == UNLIKELY
        assert await predict("opening hours") > UNLIKELY
        assert await predict("what's") < UNLIKELY
        # free speech waits out the generic silence, then ends the turn
        assert await asyncio.wait_for(predict("do you sell bread"), timeout=30) > UNLIKELY

    asyncio.run(run())
    assert sum(detector.verdicts.values()) == 3


def test_the_vad_silence_is_short_while_an_ask_listens_and_only_in_this_session() -> None:
    shared = load_vad(0.45)
    detector = ExpectedAnswerTurns(_options(answer_vad_silence_s=0.2), shared)
    assert isinstance(detector.vad, silero.VAD) and isinstance(shared, silero.VAD)
    assert detector.vad is not shared
    detector.expect(demo_at_topic().expectation)
    assert detector.vad._opts.min_silence_duration == 0.2
    assert shared._opts.min_silence_duration == 0.45
    detector.expect(NOTHING)
    assert detector.vad._opts.min_silence_duration == 0.45


def test_turn_handling_uses_the_detector_and_its_delays() -> None:
    generic = turn_handling(None)
    assert generic["turn_detection"] == "vad"
    detector = ExpectedAnswerTurns(
        _options(answer_min_delay_s=0.1, partial_answer_delay_s=2.0), load_vad()
    )
    handling = turn_handling(detector)
    assert handling["turn_detection"] is detector
    assert handling["endpointing"]["min_delay"] == 0.1
    assert handling["endpointing"]["max_delay"] == 2.0
