"""The offline recognizer: PocketSphinx for the answers a node expects, Whisper for the rest.

PocketSphinx is accurate against a grammar of expected phrases and poor on free speech
(about half the words); Whisper tiny.en is good on free speech and poor on spoken digit
strings ("zero two zero nine" came out as "0 to 0 9"). :class:`LocalSTT` routes each turn
on what the listening node said it expects (:meth:`set_hints`, see
:func:`agent.flow.match.hints_for_node`):

* a typed answer (a pattern: a phone number, a number, a date, a name) goes to
  PocketSphinx, against the pattern, and what the pattern rejects to PocketSphinx's own
  language model, as the flow's extractors expect;
* phrases (choices, yes/no, intents, global intents): PocketSphinx decodes against them
  first, and a turn that is one of them is returned as the grammar heard it, fast and
  exact; a turn that is not (a question to an answer node, "can I talk to a person" to a
  yes/no question) goes to Whisper, whose words the flow's matchers then read;
* no hints (free text): Whisper.

Whisper takes a turn only once it is warm (:attr:`~.whisper_stt.WhisperSTT.ready`: loaded
and run once, in the background, when the process starts); until then, and with
``FRONTDESK_NEURAL_STT=false`` (for small machines), PocketSphinx's language model decodes
free speech, as before Whisper came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Never

from livekit.agents import APIConnectOptions, stt, utils
from livekit.agents.language import LanguageCode
from livekit.agents.types import NOT_GIVEN, NotGivenOr

from ..phrases import Pattern
from .local_recognizer import final_transcript
from .pocketsphinx_stt import PocketSphinxSTT
from .whisper_stt import WhisperSTT


class LocalSTT(stt.STT[Never]):
    """PocketSphinx against the node's expected answers, Whisper for free speech."""

    def __init__(self, *, free_speech: WhisperSTT | None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.grammar = PocketSphinxSTT()
        self.free_speech = free_speech
        self._pattern: Pattern | None = None

    @property
    def model(self) -> str:
        return self.grammar.model if self.free_speech is None else "en-us+whisper-tiny.en"

    @property
    def provider(self) -> str:
        return "PocketSphinx" if self.free_speech is None else "PocketSphinx+Whisper"

    @property
    def hints(self) -> tuple[str, ...]:
        return self.grammar.hints

    def set_hints(self, phrases: Sequence[str] | None, *, pattern: Pattern | None = None) -> None:
        """The answers the listening node expects (None or empty: free speech only)."""
        self.grammar.set_hints(phrases, pattern=pattern)
        self._pattern = pattern

    def prewarm(self) -> None:
        self.grammar.prewarm()
        if self.free_speech is not None:
            self.free_speech.prewarm()

    async def warm_up(self) -> None:
        await self.grammar.warm_up()
        if self.free_speech is not None:
            await self.free_speech.warm_up()

    async def aclose(self) -> None:
        await self.grammar.aclose()
        if self.free_speech is not None:
            await self.free_speech.aclose()

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        whisper = self.free_speech if self.free_speech and self.free_speech.ready else None
        if whisper is None or self._pattern is not None:  # PocketSphinx alone
            return await self.grammar.recognize(
                buffer, language=language, conn_options=conn_options
            )
        if self.grammar.hints:  # an expected phrase, else Whisper's
            text, confidence = await self.grammar.decode(buffer, fallback=False)
            if text:
                lang = LanguageCode(language if utils.is_given(language) else "en-US")
                return final_transcript(lang, text, confidence, buffer, "ps_")
        return await whisper.recognize(buffer, language=language, conn_options=conn_options)
