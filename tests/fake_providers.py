"""Scripted stand-ins for cloud STT and TTS (the real services cannot be reached here).

:class:`FakeCloudSTT` and :class:`FakeCloudTTS` subclass livekit's ``stt.STT`` and
``tts.TTS`` and behave as a cloud plugin does at its network seam, in the ``state``
the test sets on cue:

* ``up``: answers at once (the STT with its fixed ``transcript``, the TTS with a tone);
* ``down``: the service refuses the request: livekit's ``APIStatusError`` (503);
* ``stalled``: the service never answers: the request waits out the
  ``conn_options.timeout`` it was given, then fails with livekit's ``APITimeoutError``,
  as the cloud plugins' connect timeout does.

Every request is recorded with the state it met, so a test can tell which provider
served a turn and when the chain probed the one it left.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Literal, Never

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, APIStatusError, APITimeoutError, stt, tts, utils
from livekit.agents.language import LanguageCode
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

State = Literal["up", "down", "stalled"]
TONE_HZ, TTS_RATE = 440.0, 24000


@dataclass(frozen=True)
class Request:
    """One request the fake got: when (monotonic seconds), in which state, what for."""

    at: float
    state: State
    text: str = ""


@dataclass
class Service:
    """The cloud service both fakes stand for: its state, and the requests it got."""

    state: State = "up"
    requests: list[Request] = field(default_factory=list)

    async def answer(self, conn_options: APIConnectOptions, text: str = "") -> None:
        """Return when the service answers; raise as a plugin does when it does not."""
        state = self.state
        self.requests.append(Request(time.monotonic(), state, text))
        if state == "down":
            raise APIStatusError("fake cloud: 503 service unavailable", status_code=503)
        if state == "stalled":
            await asyncio.sleep(conn_options.timeout)
            raise APITimeoutError(f"fake cloud: no answer within {conn_options.timeout} s")

    def served(self) -> int:
        return sum(r.state == "up" for r in self.requests)


class FakeCloudSTT(stt.STT[Never]):
    """A cloud recognizer in request mode: each turn is one request."""

    def __init__(self, transcript: str = "fake cloud transcript") -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.service = Service()
        self.transcript = transcript

    @property
    def model(self) -> str:
        return "fake-cloud-stt"

    @property
    def provider(self) -> str:
        return "FakeCloud"

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        await self.service.answer(conn_options)
        data = stt.SpeechData(LanguageCode("en"), text=self.transcript, confidence=0.99)
        return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives=[data])


class FakeCloudTTS(tts.TTS[Never]):
    """A cloud voice in request mode: each sentence is one request, answered with a tone
    of 50 ms per character (so its audio is told from eSpeak's by its pitch)."""

    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=TTS_RATE,
            num_channels=1,
        )
        self.service = Service()

    @property
    def model(self) -> str:
        return "fake-cloud-tts"

    @property
    def provider(self) -> str:
        return "FakeCloud"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _Synthesis(tts=self, input_text=text, conn_options=conn_options)


class _Synthesis(tts.ChunkedStream):
    def __init__(
        self, *, tts: FakeCloudTTS, input_text: str, conn_options: APIConnectOptions
    ) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._service = tts.service

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        await self._service.answer(self._conn_options, self._input_text)
        output_emitter.initialize(
            request_id=utils.shortuuid(),
            sample_rate=TTS_RATE,
            num_channels=1,
            mime_type="audio/pcm",
        )
        n = int(TTS_RATE * 0.05 * max(1, len(self._input_text)))
        t = np.arange(n) / TTS_RATE
        tone = (8000 * np.sin(2 * math.pi * TONE_HZ * t)).astype(np.int16)
        output_emitter.push(tone.tobytes())
        output_emitter.flush()


def tone_share(frame: rtc.AudioFrame) -> float:
    """How much of the audio's energy is :class:`FakeCloudTTS`'s tone (1: all of it)."""
    x = np.frombuffer(frame.data, np.int16).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / frame.sample_rate)
    near = np.abs(freqs - TONE_HZ) < 10
    return float(spectrum[near].sum() / max(float(spectrum.sum()), math.ulp(1.0)))
