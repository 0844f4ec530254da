"""Fallback chains that hold: a scripted cloud provider (:mod:`tests.fake_providers`) that
fails or stalls on cue, chained before the real local ones (PocketSphinx, eSpeak NG)
through the project's own chain configuration (:mod:`agent.providers.fallback`).

In one running recognition stream (as a call has) and on one chain of voices: a turn
met by a failing or silent cloud provider is served by the local one, from the same
audio or text; once the cloud provider answers again the chain goes back to it. Each
change is an availability event and moves the metrics counter. Times are bounded
generously here; ``bench/fallback.py`` measures them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from livekit.agents import stt, tts
from prometheus_client import REGISTRY

from agent.config import Settings
from agent.metrics import CallMetrics
from agent.providers.espeak_tts import ESpeakTTS
from agent.providers.fallback import (
    FallbackOptions,
    fallback_stt,
    fallback_tts,
    session_conn_options,
)
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.providers.registry import apply_hints, load_vad
from tests.fake_providers import FakeCloudSTT, FakeCloudTTS, State, tone_share
from tests.speech_turns import Turn, TurnStream

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SETTINGS = Settings.model_validate({"FRONTDESK_STT": "local,local", "FRONTDESK_TTS": "local,local"})
OPTIONS = FallbackOptions.of(SETTINGS)  # the defaults: 1 s per attempt, no retries
GENEROUS_S = 6.0  # far above the bound measured by bench/fallback.py: never a timing test
HINTS = ["opening hours", "book a table"]


def changes(kind: str, provider: str, available: bool) -> float:
    labels = {"kind": kind, "provider": provider, "available": str(available).lower()}
    return REGISTRY.get_sample_value("frontdesk_provider_availability_changes_total", labels) or 0


@asynccontextmanager
async def stt_call(cloud: FakeCloudSTT) -> AsyncIterator[TurnStream]:
    model = fallback_stt([cloud, PocketSphinxSTT()], OPTIONS, load_vad())
    apply_hints(model, HINTS)
    CallMetrics.watch_fallbacks(model)
    chain = getattr(model, "wrapped_stt", model)
    conn = session_conn_options(SETTINGS).stt_conn_options
    async with model.stream(conn_options=conn) as stream:
        call = TurnStream(stream)

        def changed(ev: stt.AvailabilityChangedEvent) -> None:
            call.events.append((ev.stt.provider, ev.available))

        chain.on("stt_availability_changed", changed)
        try:
            yield call
        finally:
            await call.aclose()


async def until_back(call: TurnStream, cloud: FakeCloudSTT) -> list[Turn]:
    """Turns after the cloud recovered, until one is the cloud's (at most three)."""
    turns: list[Turn] = []
    while not turns or turns[-1].text != cloud.transcript:
        assert len(turns) < 3, f"the chain never went back to the cloud: {turns}"
        turns.append(await call.turn())
    return turns


@pytest.mark.parametrize("failure", ["down", "stalled"])
async def test_a_recognizer_failing_mid_call_hands_the_turn_over_and_takes_it_back(
    failure: State,
) -> None:
    cloud = FakeCloudSTT()
    down_before = changes("stt", cloud.label, False)
    up_before = changes("stt", cloud.label, True)
    async with stt_call(cloud) as call:
        healthy = await call.turn()
        assert healthy.text == cloud.transcript

        cloud.service.state = failure
        switched = await call.turn()
        # the turn the cloud failed on is recognized by PocketSphinx from the same audio
        assert switched.text == "opening hours"
        assert switched.seconds < OPTIONS.attempt_timeout_s + GENEROUS_S
        if failure == "stalled":  # waited out the fallback timeout, no longer
            assert switched.seconds >= OPTIONS.attempt_timeout_s * 0.9
        assert call.events == [("FakeCloud", False)]

        probes = len(cloud.service.requests)
        assert (await call.turn()).text == "opening hours"  # still left, and probed
        assert len(cloud.service.requests) > probes

        cloud.service.state = "up"
        back = await until_back(call, cloud)
        assert all(t.text in ("opening hours", cloud.transcript) for t in back)
        assert call.events == [("FakeCloud", False), ("FakeCloud", True)]
    assert changes("stt", cloud.label, False) == down_before + 1
    assert changes("stt", cloud.label, True) == up_before + 1


@dataclass
class Voice:
    chain: tts.TTS
    events: list[tuple[str, bool]] = field(default_factory=list)

    async def say(self, text: str) -> tuple[bool, float]:
        """(spoken by the cloud, seconds to the whole sentence's audio)."""
        conn = session_conn_options(SETTINGS).tts_conn_options
        started = time.monotonic()
        frame = await self.chain.synthesize(text, conn_options=conn).collect()
        seconds = time.monotonic() - started
        assert frame.duration > 0.3, "the sentence was not spoken"
        await asyncio.sleep(frame.duration)  # played out before the next one, as in a call
        return tone_share(frame) > 0.9, seconds


@pytest.mark.parametrize("failure", ["down", "stalled"])
async def test_a_voice_failing_mid_call_hands_the_sentence_over_and_takes_it_back(
    failure: State,
) -> None:
    cloud = FakeCloudTTS()
    down_before = changes("tts", cloud.label, False)
    chain = fallback_tts([cloud, ESpeakTTS()], OPTIONS)
    CallMetrics.watch_fallbacks(chain)
    voice = Voice(chain)
    chain.on(
        "tts_availability_changed", lambda ev: voice.events.append((ev.tts.provider, ev.available))
    )

    assert (await voice.say("Thanks for calling."))[0]
    cloud.service.state = failure
    by_cloud, seconds = await voice.say("We open at nine.")
    assert not by_cloud  # eSpeak NG said it
    assert seconds < OPTIONS.attempt_timeout_s + GENEROUS_S
    assert voice.events == [("FakeCloud", False)]
    assert changes("tts", cloud.label, False) == down_before + 1

    cloud.service.state = "up"
    spoken = [await voice.say("Anything else?") for _ in range(3)]
    assert any(by for by, _ in spoken), "the chain never went back to the cloud"
    assert voice.events == [("FakeCloud", False), ("FakeCloud", True)]
    await chain.aclose()
