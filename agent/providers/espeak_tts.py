"""LiveKit Agents TTS on eSpeak NG: offline, no network, no model download.

``ESpeakTTS`` is a non-streaming TTS (``capabilities.streaming=False``), so an
``AgentSession`` wraps it in ``tts.StreamAdapter``, which cuts the LLM's text into
sentences and calls :meth:`ESpeakTTS.synthesize` once per sentence. Each call still
streams: PCM is pushed to the emitter as the library produces it, on the engine's own
thread (see :mod:`agent.providers.espeak`), and closing the stream aborts the synthesis.
A synthesis that fails raises :class:`ESpeakTTSError`, a livekit ``APIError``, so livekit's
retries and a ``FallbackAdapter`` chain see it as a provider failure.
"""

from __future__ import annotations

import dataclasses
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Literal

from livekit.agents import APIConnectOptions, APIError, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

from agent.errors import ProviderError
from agent.providers.api_errors import LocalProviderError
from agent.providers.espeak import ESpeakEngine, VoiceSettings

NUM_CHANNELS = 1


class ESpeakTTSError(LocalProviderError):
    """A synthesis failed: a livekit ``APIError`` that is also a ``ProviderError``."""


@dataclass(frozen=True)
class _TTSOptions(VoiceSettings):
    """The TTS's options: voice, rate_wpm, pitch, word_gap (validated on creation)."""


class ESpeakTTS(tts.TTS[Literal["metrics_collected", "error"]]):
    """Offline text-to-speech on eSpeak NG (int16 mono at the engine's native rate)."""

    def __init__(
        self,
        *,
        voice: str = "en-us",
        rate_wpm: int = 175,
        pitch: int = 50,
        word_gap: int = 0,
        engine: ESpeakEngine | None = None,
    ) -> None:
        """
        Args:
            voice: eSpeak voice or language, optionally with a variant ("en-us", "en-us+f3").
            rate_wpm: speaking rate in words per minute, 80..450.
            pitch: base pitch, 0..100.
            word_gap: extra pause between words, in units of 10 ms.
            engine: the engine to use; defaults to the process-wide one.

        Raises:
            ProviderError: the library cannot load, an option is out of range, or the
                voice does not exist (the message names it).
        """
        self._engine = engine or ESpeakEngine.shared()
        self._opts = _TTSOptions(voice=voice, rate_wpm=rate_wpm, pitch=pitch, word_gap=word_gap)
        self._engine.check_voice(voice)
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=self._engine.sample_rate,
            num_channels=NUM_CHANNELS,
        )

    @property
    def model(self) -> str:
        return f"espeak-ng-{self._engine.version}"

    @property
    def provider(self) -> str:
        return "eSpeak NG"

    @property
    def options(self) -> VoiceSettings:
        """The current voice settings (immutable; change them with :meth:`update_options`)."""
        return self._opts

    def update_options(
        self,
        *,
        voice: NotGivenOr[str] = NOT_GIVEN,
        rate_wpm: NotGivenOr[int] = NOT_GIVEN,
        pitch: NotGivenOr[int] = NOT_GIVEN,
        word_gap: NotGivenOr[int] = NOT_GIVEN,
    ) -> None:
        """Change options for later ``synthesize`` calls; on error nothing changes."""
        given = {"voice": voice, "rate_wpm": rate_wpm, "pitch": pitch, "word_gap": word_gap}
        changes: dict[str, Any] = {
            name: value for name, value in given.items() if utils.is_given(value)
        }
        opts = dataclasses.replace(self._opts, **changes)
        self._engine.check_voice(opts.voice)
        self._opts = opts

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> ChunkedStream:
        return ChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class ChunkedStream(tts.ChunkedStream):
    """One synthesis; its options are fixed when it is created."""

    def __init__(self, *, tts: ESpeakTTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._engine = tts._engine
        self._opts = tts._opts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=utils.shortuuid(),
            sample_rate=self._engine.sample_rate,
            num_channels=NUM_CHANNELS,
            mime_type="audio/pcm",
        )
        try:
            async with aclosing(self._engine.astream(self._input_text, self._opts)) as chunks:
                async for pcm in chunks:
                    output_emitter.push(pcm)
        except APIError:
            raise
        except Exception as e:  # the library's or its thread's: livekit must see an APIError
            retryable = isinstance(e, ProviderError) and e.retryable
            raise ESpeakTTSError(f"eSpeak NG failed: {e}", retryable=retryable) from e
        output_emitter.flush()
