"""Expected-answer endpointing on livekit's own turn-detector hook.

livekit's ``AgentSession`` ends the caller's turn once the VAD has heard the end of speech
and the STT has returned its words, after ``min_delay`` seconds from the end of speech,
or ``max_delay`` when its turn detector finds the words unlikely to end the turn
(``predict_end_of_turn`` below ``unlikely_threshold``). :class:`ExpectedAnswerTurns` is
that detector (passed as ``turn_detection``), judging the words against what the
listening node expects (:mod:`agent.flow.endpoint`, given by the flow at each Listen):

* a whole answer: probability 1, the turn ends after ``min_delay`` (FRONTDESK_ANSWER_
  MIN_DELAY), which is already over when the words come: the wait is the VAD's silence
  (FRONTDESK_ANSWER_VAD_SILENCE while an ask listens) and the decode;
* the start of a longer answer ("my name is", a phone number short of its length):
  probability 0, livekit waits ``max_delay`` (FRONTDESK_PARTIAL_ANSWER_DELAY) from the end
  of speech for the caller to go on;
* anything else: the generic silence (FRONTDESK_VAD_SILENCE) in all: the prediction
  itself waits what the shorter VAD silence left out (livekit cancels it when the caller
  speaks again, as it cancels its own wait).

The VAD's silence is the session's own: each session gets a Silero VAD of its own options
that shares the process's model (:func:`session_vad`). It is shortened only while an ask
or a typed question listens: there free speech is rare, and a question to it that the
VAD cuts at a short pause is decoded in two pieces and joined. Nodes that expect
questions (answer nodes) and free text keep the generic silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from livekit.agents import EndpointingOptions, TurnHandlingOptions, llm, vad
from livekit.agents.language import LanguageCode
from livekit.plugins import silero

from .config import Settings
from .flow.endpoint import NOTHING, Completeness, Expectation

logger = logging.getLogger("frontdesk.endpointing")

UNLIKELY = 0.5  # below it livekit waits max_delay
GENERIC_MIN_DELAY_S = 0.3  # livekit's min_delay with the generic endpointing alone
MAX_DELAY_S = 3.0  # livekit's max_delay with the generic endpointing alone


@dataclass(frozen=True)
class AnswerEndpointing:
    enabled: bool
    vad_silence_s: float
    answer_vad_silence_s: float
    answer_min_delay_s: float
    partial_delay_s: float

    @classmethod
    def of(cls, settings: Settings) -> AnswerEndpointing:
        return cls(
            enabled=settings.expected_answer_endpointing,
            vad_silence_s=settings.vad_silence_s,
            answer_vad_silence_s=min(settings.answer_vad_silence_s, settings.vad_silence_s),
            answer_min_delay_s=settings.answer_min_delay_s,
            partial_delay_s=settings.partial_answer_delay_s,
        )


def turn_handling(detector: ExpectedAnswerTurns | None) -> TurnHandlingOptions:
    """The session's turn handling: the expected-answer detector's delays, else the
    generic endpointing (the VAD's silence, then livekit's fixed delays)."""
    turn_detection: ExpectedAnswerTurns | Literal["vad"] = "vad"
    delays: EndpointingOptions = {
        "mode": "fixed",
        "min_delay": GENERIC_MIN_DELAY_S,
        "max_delay": MAX_DELAY_S,
    }
    if detector is not None:
        turn_detection = detector
        delays["min_delay"] = detector.options.answer_min_delay_s
        delays["max_delay"] = detector.options.partial_delay_s
    return {
        "turn_detection": turn_detection,
        "endpointing": delays,
        "interruption": {
            "enabled": True,
            "mode": "vad",
            "min_duration": 0.4,
            "resume_false_interruption": False,
        },
        "preemptive_generation": {"enabled": False},
    }


def session_vad(shared: vad.VAD, min_silence_s: float) -> vad.VAD:
    """A VAD for one session whose options can change without touching the others':
    Silero's model (the ONNX session, thread-safe) is shared, its options are copied."""
    if not isinstance(shared, silero.VAD):
        return shared
    opts = replace(shared._opts, min_silence_duration=min_silence_s)
    return silero.VAD(session=shared._onnx_session, opts=opts)


class ExpectedAnswerTurns:
    """livekit's turn detector, judging the caller's words against the listening node's
    expected answers (see the module's notes). One per session."""

    def __init__(self, options: AnswerEndpointing, shared_vad: vad.VAD) -> None:
        self.options = options
        self.vad = session_vad(shared_vad, options.vad_silence_s)
        self._silence_s = options.vad_silence_s
        self._expectation = NOTHING
        self.verdicts: Counter[Completeness] = Counter()

    @property
    def model(self) -> str:
        return "expected-answer"

    @property
    def provider(self) -> str:
        return "frontdesk"

    def expect(self, expectation: Expectation) -> None:
        """What the listening node expects (NOTHING: free speech, generic endpointing)."""
        self._expectation = expectation
        quick = expectation.reader is not None or expectation.pattern is not None
        silence = self.options.answer_vad_silence_s if quick else self.options.vad_silence_s
        if silence != self._silence_s and isinstance(self.vad, silero.VAD):
            self.vad.update_options(min_silence_duration=silence)
            self._silence_s = silence

    async def unlikely_threshold(self, language: LanguageCode | None) -> float | None:
        return UNLIKELY

    async def supports_language(self, language: LanguageCode | None) -> bool:
        return True  # it reads the node's expected answers, in the flow's language

    async def predict_end_of_turn(
        self, chat_ctx: llm.ChatContext, *, timeout: float | None = None
    ) -> float:
        message = next(
            (m for m in reversed(chat_ctx.messages()) if m.role == "user"),
            None,
        )
        text = (message.text_content or "") if message is not None else ""
        verdict = self._expectation.judge(text)
        self.verdicts[verdict] += 1
        logger.debug("end of turn?", extra={"verdict": verdict.value, "text": text})
        if verdict is Completeness.COMPLETE:
            return 1.0
        if verdict is Completeness.PARTIAL:
            return 0.0
        wait = self.options.vad_silence_s - self._silence_s
        if wait > 0:  # the generic silence in all; cancelled if the caller goes on
            await asyncio.sleep(wait)
        return 1.0
