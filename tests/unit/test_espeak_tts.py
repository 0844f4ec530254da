"""Unit tests for the eSpeak NG binding and its LiveKit TTS (real library, no mocks).

eSpeak NG synthesizes several hundred times faster than real time, so the timing tests
use a long text (minutes of audio) to make "before synthesis finished" measurable and
compare times with each other rather than with fixed wall-clock limits.
"""

from __future__ import annotations

import asyncio
import ctypes.util
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import espeakng_loader
import numpy as np
import numpy.typing as npt
import pytest
from livekit import rtc
from livekit.agents import APIConnectOptions, APIError
from livekit.agents.tts import StreamAdapter

from agent.errors import ProviderError
from agent.providers.espeak import (
    ESpeakEngine,
    VoiceSettings,
    asynthesize_pcm,
    find_library,
    synthesize_pcm,
)
from agent.providers.espeak_tts import ESpeakTTS, ESpeakTTSError

pytestmark = pytest.mark.unit

GREETING = "Hello, thanks for calling Crumb and Co."
PARAGRAPH = (
    "Hello, thanks for calling Crumb and Co. We are open from nine to five, Monday to "
    "Saturday. Would you like to place an order for pickup today? You can also ask me "
    "about our cakes. "
)
LONG_TEXT = PARAGRAPH * 30  # about five minutes of audio


def _pcm(frame: rtc.AudioFrame) -> npt.NDArray[np.int16]:
    return np.frombuffer(frame.data, dtype=np.int16)


def _rms(pcm: npt.NDArray[np.int16]) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def _median_f0(pcm: npt.NDArray[np.int16], sample_rate: int) -> float:
    """Median fundamental frequency of the loud 40 ms windows, by autocorrelation."""
    x = pcm.astype(np.float64)
    n, threshold = int(0.04 * sample_rate), _rms(pcm)
    low, high = sample_rate // 400, sample_rate // 60
    f0s = []
    for start in range(0, len(x) - n, n):
        w = x[start : start + n] - x[start : start + n].mean()
        if np.sqrt(np.mean(w**2)) < threshold:
            continue
        ac = np.correlate(w, w, "full")[n - 1 :]
        f0s.append(sample_rate / (low + int(np.argmax(ac[low:high]))))
    return float(np.median(f0s))


async def _collect(tts: ESpeakTTS, text: str) -> rtc.AudioFrame:
    async with tts.synthesize(text) as stream:
        return await stream.collect()


async def _first_and_total(tts: ESpeakTTS, text: str) -> tuple[float, float]:
    """Seconds to the first frame and to the end of the stream."""
    start, first = time.perf_counter(), None
    async with tts.synthesize(text) as stream:
        async for _ in stream:
            first = first or time.perf_counter() - start
    assert first is not None
    return first, time.perf_counter() - start


def _blocking_seconds(text: str) -> float:
    start = time.perf_counter()
    synthesize_pcm(text)
    return time.perf_counter() - start


@asynccontextmanager
async def _ticker(period: float = 0.01) -> AsyncIterator[list[float]]:
    """Record the gaps between the wake-ups of a task that sleeps ``period`` in a loop."""
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(period)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(tick())
    await asyncio.sleep(2 * period)
    try:
        yield gaps
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def tts() -> ESpeakTTS:
    return ESpeakTTS()


async def test_greeting_is_int16_mono_at_the_engine_rate(tts: ESpeakTTS) -> None:
    engine = ESpeakEngine.shared()
    assert tts.sample_rate == engine.sample_rate > 0
    assert (tts.num_channels, tts.capabilities.streaming) == (1, False)
    async with tts.synthesize(GREETING) as stream:
        events = [ev async for ev in stream]
    assert events and events[-1].is_final
    for ev in events:
        assert (ev.frame.sample_rate, ev.frame.num_channels) == (engine.sample_rate, 1)
        assert ev.frame.data.format == "h"  # int16
    audio = rtc.combine_audio_frames([ev.frame for ev in events])
    assert 1.5 <= audio.duration <= 5.0
    assert _rms(_pcm(audio)) > 500


async def test_session_stream_adapter_speaks_sentence_by_sentence(tts: ESpeakTTS) -> None:
    # an AgentSession wraps a non-streaming TTS exactly like this (voice/agent.py tts_node)
    adapter = StreamAdapter(tts=tts)
    async with adapter.stream() as stream:
        stream.push_text(PARAGRAPH)
        stream.end_input()
        frames = [ev.frame async for ev in stream]
    assert all(f.sample_rate == tts.sample_rate for f in frames)
    assert 7.0 <= rtc.combine_audio_frames(frames).duration <= 16.0


async def test_first_audio_arrives_long_before_synthesis_ends(tts: ESpeakTTS) -> None:
    blocking = _blocking_seconds(LONG_TEXT)
    first, total = await _first_and_total(tts, LONG_TEXT)
    assert first < 0.1 * blocking, (first, blocking)
    assert first < 0.1 * total, (first, total)


async def test_event_loop_keeps_ticking_during_synthesis(tts: ESpeakTTS) -> None:
    async with _ticker() as gaps:
        _, total = await _first_and_total(tts, LONG_TEXT)
    assert len(gaps) >= 5
    assert max(gaps) < total / 4, (max(gaps), total)


async def test_faster_rate_gives_shorter_audio(tts: ESpeakTTS) -> None:
    tts.update_options(rate_wpm=120)
    slow = await _collect(tts, GREETING)
    tts.update_options(rate_wpm=300)
    fast = await _collect(tts, GREETING)
    assert tts.options.rate_wpm == 300
    assert fast.duration < 0.6 * slow.duration, (fast.duration, slow.duration)


async def test_voice_variant_and_pitch_change_the_voice() -> None:
    tts = ESpeakTTS(voice="en-us")
    male = _median_f0(_pcm(await _collect(tts, PARAGRAPH)), tts.sample_rate)
    tts.update_options(voice="en-us+f3")
    female = _median_f0(_pcm(await _collect(tts, PARAGRAPH)), tts.sample_rate)
    low = _median_f0(*synthesize_pcm(PARAGRAPH, VoiceSettings(pitch=10)))
    high = _median_f0(*synthesize_pcm(PARAGRAPH, VoiceSettings(pitch=90)))
    assert female > 1.5 * male, (male, female)
    assert high > 1.3 * low, (low, high)


async def test_unknown_voice_raises_provider_error_naming_it(tts: ESpeakTTS) -> None:
    with pytest.raises(ProviderError, match="xx-nope"):
        ESpeakTTS(voice="xx-nope")
    with pytest.raises(ProviderError, match="zz-also-nope"):
        tts.update_options(voice="zz-also-nope", rate_wpm=300)
    assert (tts.options.voice, tts.options.rate_wpm) == ("en-us", 175)  # unchanged
    with pytest.raises(ProviderError, match="qq-nope"):
        synthesize_pcm(GREETING, VoiceSettings(voice="qq-nope"))


def test_out_of_range_setting_raises_provider_error() -> None:
    with pytest.raises(ProviderError, match="rate_wpm=10"):
        VoiceSettings(rate_wpm=10)
    with pytest.raises(ProviderError, match="pitch=101"):
        ESpeakTTS(pitch=101)


def test_library_that_cannot_load_is_named(tmp_path: Path) -> None:
    missing = f"{tmp_path}/libespeak-ng.so"
    with pytest.raises(ProviderError, match=missing):
        ESpeakEngine.load(missing)


def test_find_library_prefers_pip_then_falls_back_to_system(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert find_library() == (espeakng_loader.get_library_path(), espeakng_loader.get_data_path())
    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/lib.so")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: f"lib{name}.so.1")
    assert find_library() == ("libespeak-ng.so.1", None)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(ProviderError, match="libespeak-ng"):
        find_library()


@pytest.mark.parametrize("how", ["aclose", "cancel"])
async def test_closing_mid_synthesis_stops_it_promptly(tts: ESpeakTTS, how: str) -> None:
    blocking = _blocking_seconds(LONG_TEXT)
    stream = tts.synthesize(LONG_TEXT)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            first.set()

    consumer = asyncio.create_task(consume())
    await first.wait()
    start = time.perf_counter()
    if how == "cancel":
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
    await stream.aclose()
    await asyncio.gather(consumer, return_exceptions=True)
    closed = time.perf_counter() - start
    # the engine thread must be free again: a short synthesis is not queued behind the rest
    _, short = await _first_and_total(tts, GREETING)
    assert closed < blocking / 4, (closed, blocking)
    assert short < blocking / 4, (short, blocking)


async def test_concurrent_synthesis_is_serialized_and_correct() -> None:
    male, female = ESpeakTTS(voice="en-us"), ESpeakTTS(voice="en-us+f3", rate_wpm=300)
    expected = {
        "male": len(synthesize_pcm(PARAGRAPH)[0]),
        "female": len(synthesize_pcm(GREETING, VoiceSettings("en-us+f3", rate_wpm=300))[0]),
    }
    results = await asyncio.gather(
        _collect(male, PARAGRAPH),
        _collect(female, GREETING),
        asyncio.to_thread(synthesize_pcm, PARAGRAPH),
        asyncio.to_thread(synthesize_pcm, PARAGRAPH),
        asynthesize_pcm(PARAGRAPH),
    )
    male_pcm, female_pcm = _pcm(results[0]), _pcm(results[1])
    slack = male.sample_rate // 10  # eSpeak's own run-to-run jitter is up to ~40 ms
    assert len(male_pcm) == pytest.approx(expected["male"], abs=slack)
    assert len(female_pcm) == pytest.approx(expected["female"], abs=slack)
    assert _median_f0(female_pcm, female.sample_rate) > 1.5 * _median_f0(male_pcm, male.sample_rate)
    for pcm, rate in results[2:]:
        assert rate == male.sample_rate
        assert len(pcm) == pytest.approx(expected["male"], abs=slack)
        assert _rms(pcm) > 500


class _FailingEngine(ESpeakEngine):
    """The shared engine whose synthesis fails as ``espeak_Synth`` does on a bad status
    (the real library cannot be made to fail on cue)."""

    def __init__(self) -> None:  # shares the initialized library: no second initialize
        self.__dict__.update(ESpeakEngine.shared().__dict__)

    def synthesize(self, text: str, settings: VoiceSettings, on_chunk: object) -> bool:
        raise ProviderError("espeak: espeak_Synth failed with status 1")


async def test_a_failed_synthesis_is_a_livekit_api_error() -> None:
    """livekit's retries and FallbackAdapter act on APIError only: a bare exception would
    end the chain's attempt as an unexpected crash instead of a provider failure."""
    voice = ESpeakTTS(engine=_FailingEngine())
    errors: list[object] = []
    voice.on("error", errors.append)
    with pytest.raises(APIError, match="espeak_Synth failed") as caught:
        await voice.synthesize(GREETING, conn_options=APIConnectOptions(max_retry=0)).collect()
    assert isinstance(caught.value, ESpeakTTSError) and isinstance(caught.value, ProviderError)
    assert not caught.value.retryable
    assert len(errors) == 1  # reported through livekit's own error event
