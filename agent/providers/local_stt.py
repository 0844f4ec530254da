"""The offline recognizer: PocketSphinx for the answers a node expects, Whisper for the rest.

PocketSphinx is accurate against a grammar of expected phrases and poor on free speech
(about half the words); Whisper tiny.en is good on free speech. :class:`LocalSTT` routes
each turn on the hints the flow gives for the node that listens
(:meth:`set_hints`, see :func:`agent.flow.match.hints_for_node`):

* with hints or a typed answer's pattern, PocketSphinx decodes against them first; a turn
  that is one of them (it passes PocketSphinx's acceptance tests) is returned as the
  grammar heard it: fast and exact;
* a turn that is not one of them (PocketSphinx rejects it: a question to an answer node,
  "can I talk to a person" to a yes/no question) and every turn of a node without hints
  goes to Whisper, whose words the flow's matchers then read.

Without Whisper (``FRONTDESK_NEURAL_STT=false``, for small machines), PocketSphinx decodes
rejected turns with its own free language model, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Never

from livekit.agents import APIConnectOptions, stt, utils
from livekit.agents.types import NOT_GIVEN, NotGivenOr

from ..phrases import Pattern
from .pocketsphinx_stt import PocketSphinxSTT
from .whisper_stt import WhisperSTT


class LocalSTT(stt.STT[Never]):
    """PocketSphinx against the node's expected answers, Whisper for free speech."""

    def __init__(self, *, free_speech: WhisperSTT | None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        # with Whisper beside it, a grammar rejection is Whisper's to decode
        self.grammar = PocketSphinxSTT(grammar_fallback=free_speech is None)
        self.free_speech = free_speech
        self._expecting = False

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
        self._expecting = bool(self.grammar.hints) or pattern is not None

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
        if self.free_speech is None or self._expecting:
            heard = await self.grammar.recognize(
                buffer, language=language, conn_options=conn_options
            )
            if self.free_speech is None or heard.alternatives[0].text:
                return heard
        return await self.free_speech.recognize(
            buffer, language=language, conn_options=conn_options
        )
