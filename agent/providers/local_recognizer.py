"""The base of the offline recognizers: a livekit ``stt.STT`` that decodes whole segments on
a thread of its own.

livekit's ``AgentSession`` wraps a non-streaming STT in ``stt.StreamAdapter`` with its VAD,
which calls ``recognize`` once per speech segment. A subclass loads its model in
:meth:`LocalRecognizer._load` and decodes in :meth:`LocalRecognizer._decode`; both run on
the instance's single-thread executor, never on the event loop, and any failure reaches
livekit as the subclass's :attr:`LocalRecognizer.error` (a livekit ``APIError``, so
retries and ``FallbackAdapter`` see it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Never, TypeVar

from livekit.agents import APIConnectOptions, stt, utils
from livekit.agents.language import LanguageCode
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils.audio import calculate_audio_duration

from .api_errors import LocalProviderError

_T = TypeVar("_T")


class LocalRecognizer(stt.STT[Never]):
    """A non-streaming English recognizer whose model lives on one thread of its own."""

    error: ClassVar[type[LocalProviderError]] = LocalProviderError
    thread_name: ClassVar[str] = "recognizer"
    request_prefix: ClassVar[str] = "local_"

    def __init__(self, *, language: str = "en-US") -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._language = language
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.thread_name)

    def _load(self) -> object:
        """Load the model (on the recognizer's thread); idempotent."""
        raise NotImplementedError

    def _context(self) -> Any:
        """What the decode needs from the call as it is when the turn is handed over
        (read on the event loop: e.g. the node's hints); None by default."""
        return None

    def _decode(self, buffer: utils.AudioBuffer, context: Any) -> tuple[str, float]:
        """The text heard in ``buffer`` and its confidence (on the recognizer's thread)."""
        raise NotImplementedError

    def prewarm(self) -> None:
        """Start loading the model in the background; returns at once."""
        self._executor.submit(self._load)

    async def warm_up(self) -> None:
        """Load the model off the event loop and wait until it is ready."""
        await self._run(self._load)

    async def aclose(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        lang = LanguageCode(language if utils.is_given(language) else self._language)
        if not lang.lower().startswith("en"):
            message = f"{self.provider} has only an English model, not {lang!r}"
            raise self.error(message, retryable=False)
        # conn_options.timeout bounds connecting to a service: here there is none, and a
        # decode cut short would still hold the thread. A fallback chain's short timeout
        # must not cut off its last, local recognizer.
        text, confidence = await self._run(self._decode, buffer, self._context())
        return final_transcript(lang, text, confidence, buffer, self.request_prefix)

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except LocalProviderError:
            raise
        except Exception as e:
            raise self.error(f"{self.provider} failed: {e}", retryable=True) from e


def final_transcript(
    language: LanguageCode, text: str, confidence: float, buffer: utils.AudioBuffer, prefix: str
) -> stt.SpeechEvent:
    """livekit's final-transcript event for one decoded segment."""
    data = stt.SpeechData(
        language=language,
        text=text,
        confidence=confidence,
        end_time=calculate_audio_duration(buffer),
    )
    return stt.SpeechEvent(
        type=stt.SpeechEventType.FINAL_TRANSCRIPT,
        request_id=utils.shortuuid(prefix),
        alternatives=[data],
    )
