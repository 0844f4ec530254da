"""Offline English speech-to-text for LiveKit Agents on PocketSphinx 5 (model in the wheel).

:class:`PocketSphinxSTT` is non-streaming: ``AgentSession`` wraps it in ``stt.StreamAdapter``
with its VAD, which calls ``recognize`` once per speech segment. Nothing is downloaded.

* Threads: decoders are built lazily (~0.35 s) and used only by the instance's single-thread
  executor. The binding holds the GIL in every C call, so audio goes in as 50 ms chunks, the
  ``fwdflat`` pass (run in ``end_utt``) is off and the exact cepstral mean of the utterance
  comes from a second, cheap decoder (one ~15 ms call). Measured stalls of the event loop:
  ~30 ms while decoding, ~0.13 s once while building (``add_lm``).
* Hints (:meth:`PocketSphinxSTT.set_hints`) become a JSGF grammar on the same decoder. With
  ``compallsen`` each frame is scored against its best senone (a free phone loop), so a
  word's score per frame is a garbage-model likelihood ratio. A grammar result is kept only
  if it is a whole phrase, every word scores >= ``min_word_score`` per frame and at most
  ``max_uncovered`` of the loud frames lie outside its words; otherwise the audio is decoded
  with the free ``en-us`` LM (``grammar_fallback``): other answers are not forced onto hints.
  A near miss (the weakest word within ``NEAR_MISS`` of the bound, coverage fine) is kept
  when the grammar's words score within ``MAX_SCORE_GAP`` per frame of the free LM's words
  on the same audio: a likelihood ratio that tells a right answer the codec blurred
  ("my name is peter smith" with "name" at -9.3) from speech forced onto the grammar.
  A typed answer comes with a ``pattern`` (:mod:`agent.phrases`): the grammar is then its
  parts in order, "[my name is] <first name> [<surname>]", each optional or repeated as
  the pattern says, and the words heard are returned as they were decoded.
* Confidence: grammar ``sigmoid(worst word score - min_word_score) * covered fraction``
  (0.5 at the rejection boundary); LM: mean lattice posterior of the words; 0 if no text.
* Audio is merged, down-mixed, resampled to 16 kHz and given a seeded noise floor
  (``noise_floor`` LSB, about -61 dBFS): digital silence breaks the cepstral features.
  Audio whose loudest 10 ms frame is below ``min_rms`` is silence: empty text, no decoding.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pocketsphinx
from livekit import rtc
from livekit.agents import utils

from agent.errors import ProviderError

from ..phrases import Part, Pattern
from .api_errors import LocalProviderError
from .local_recognizer import LocalRecognizer

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_Pcm = npt.NDArray[np.int16]
_FRAME, _CHUNK = 160, 800  # samples at 16 kHz: a decoder frame, one process_raw call
_HINTS, _LM = "hints", "lm"  # decoder search names
# what a decode reads from the call: the hints, the typed answer's pattern, and whether
# what they reject is decoded with the free language model
_Context = tuple[tuple[str, ...], Pattern | None, bool]
_NUMBERS = (  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety"
).split()


class PocketSphinxSTTError(LocalProviderError):
    """A livekit ``APIError`` (retries, ``FallbackAdapter``) that is also a ``ProviderError``."""


@dataclass(frozen=True)
class _STTOptions:
    language: str
    noise_floor: float
    min_rms: float
    min_word_score: float
    max_uncovered: float
    grammar_fallback: bool


def _spell(digits: str) -> str:
    """42 -> forty two, 305 -> three hundred five; longer or 0-led: digit by digit."""
    if len(digits) > 3 or (len(digits) > 1 and digits[0] == "0"):
        return " ".join(_NUMBERS[int(d)] for d in digits)
    n = int(digits)
    words = [_NUMBERS[n // 100], "hundred"] if n >= 100 else []
    n %= 100
    if n >= 20:
        words += [_NUMBERS[18 + n // 10]] + ([_NUMBERS[n % 10]] if n % 10 else [])
    elif n or not words:
        words.append(_NUMBERS[n])
    return " ".join(words)


def _words(phrase: str) -> list[str]:
    """Lower-case dictionary tokens of a phrase: no punctuation, digits spelled out."""
    text = re.sub(r"\d+", lambda m: f" {_spell(m.group())} ", phrase.lower().replace("’", "'"))
    return re.findall(r"[a-z]+(?:'[a-z]+)*", text)


def _to_pcm16k(buffer: utils.AudioBuffer) -> _Pcm:
    """Merge, down-mix and resample an AudioBuffer to 16 kHz mono int16."""
    if isinstance(buffer, list) and not buffer:
        return np.zeros(0, dtype=np.int16)
    frame = utils.merge_frames(buffer)
    samples = np.frombuffer(frame.data, dtype=np.int16).reshape(-1, frame.num_channels)
    mono: _Pcm = samples.mean(axis=1).round().astype(np.int16)
    if frame.sample_rate == 16000 or mono.size == 0:
        return mono
    quality = rtc.AudioResamplerQuality.HIGH
    resampler = rtc.AudioResampler(frame.sample_rate, 16000, num_channels=1, quality=quality)
    out = resampler.push(rtc.AudioFrame(mono.tobytes(), frame.sample_rate, 1, mono.size))
    out += resampler.flush()
    pcm: _Pcm = np.concatenate([np.frombuffer(f.data, np.int16) for f in out] or [mono[:0]])
    return pcm


NEAR_MISS = 1.0  # how far under min_word_score a word may score for a second chance
MAX_SCORE_GAP = 0.75  # the most the free LM's words may outscore the grammar's, per frame


def _word_score(seg: Any) -> float:
    frames = seg.end_frame - seg.start_frame + 1
    return math.log(seg.ascore) / frames if seg.ascore > 0 else -math.inf


def _per_frame(segs: list[Any]) -> float:
    """Acoustic log score per frame over a path's words."""
    frames = sum(s.end_frame - s.start_frame + 1 for s in segs)
    total = sum(math.log(s.ascore) if s.ascore > 0 else -1e4 for s in segs)
    return total / frames if frames else -math.inf


def complete_phrase(hyp: str, phrases: Mapping[str, str]) -> str:
    """A grammar hypothesis that stopped short of its phrase's end, completed if unique.

    When the audio ends before the grammar's final state (a weak last phoneme through a
    codec: "no thank" for "no thank you"), PocketSphinx returns the partial path. If it
    is the start of exactly one phrase it is taken as that phrase; the coverage check in
    ``_grammar_confidence`` has already required the words to explain the audio.
    """
    if not hyp or hyp in phrases:
        return hyp
    longer = [p for p in phrases if p.startswith(hyp + " ")]
    return longer[0] if len(longer) == 1 else hyp


class _Engine:
    """Decoders and grammar of one STT; used only by its executor thread."""

    def __init__(self, opts: _STTOptions) -> None:
        self._opts = opts
        self._hints: tuple[str, ...] = ()
        self._pattern: Pattern | None = None
        self._phrases: dict[str, str] = {}  # grammar phrase -> hint as given
        # built step by step: each C call holds the GIL (the longest, add_lm, ~0.12 s)
        config = pocketsphinx.Config(lm=None, compallsen=True, fwdflat=False, loglevel="FATAL")
        self._dec: Any = pocketsphinx.Decoder(config)
        lm = pocketsphinx.NGramModel(config, self._dec.get_logmath(), pocketsphinx.Config()["lm"])
        self._dec.add_lm(_LM, lm)
        config = pocketsphinx.Config(lm=None, fwdflat=False, bestpath=False, loglevel="FATAL")
        self._cmn: Any = pocketsphinx.Decoder(config)  # only computes cepstral means
        self._cmn.add_jsgf_string("cmn", "#JSGF V1.0;\ngrammar cmn;\npublic <cmn> = a;\n")
        self._cmn.activate_search("cmn")

    def recognize(
        self,
        pcm: _Pcm,
        hints: tuple[str, ...],
        pattern: Pattern | None = None,
        *,
        fallback: bool | None = None,
    ) -> tuple[str, float]:
        n = pcm.size // _FRAME  # RMS of each 10 ms decoder frame
        rms = np.sqrt(np.mean(pcm[: n * _FRAME].reshape(n, _FRAME).astype(np.float64) ** 2, 1))
        if n < 10 or rms.max() < self._opts.min_rms:
            return "", 0.0
        noise = np.random.default_rng(0).normal(0.0, self._opts.noise_floor, pcm.size)
        data = np.clip(pcm + noise, -32768, 32767).astype(np.int16).tobytes()
        free: tuple[str, list[Any]] | None = None
        if (hints or pattern) and self._use_grammar(hints, pattern):
            text, segs = self._decode(data, _HINTS)
            loud = rms >= 0.1 * rms.max()
            confidence = self._grammar_confidence(segs, loud)
            if confidence is None and self._near_miss(segs, loud):
                free = self._decode(data, _LM)
                confidence = self._second_chance(segs, free[1])
            if pattern and text and confidence is not None:
                return text, confidence
            text = complete_phrase(text, self._phrases)
            if text in self._phrases and confidence is not None:
                return self._phrases[text], confidence
            if not (self._opts.grammar_fallback if fallback is None else fallback):
                return "", 0.0
        text, segs = free or self._decode(data, _LM)
        return text, float(np.mean([s.prob for s in segs])) if text and segs else 0.0

    def _decode(self, data: bytes, search: str) -> tuple[str, list[Any]]:
        self._cmn.start_utt()
        self._cmn.process_raw(data, full_utt=True)
        self._dec.set_cmn(self._cmn.get_cmn())
        self._cmn.end_utt()
        self._dec.activate_search(search)
        self._dec.start_utt()
        for i in range(0, len(data), 2 * _CHUNK):
            self._dec.process_raw(data[i : i + 2 * _CHUNK])
        self._dec.end_utt()
        hyp = self._dec.hyp()
        segs = [s for s in self._dec.seg() or () if not s.word.startswith(("<", "["))]
        return (str(hyp.hypstr) if hyp else ""), segs

    def _grammar_confidence(self, segs: list[Any], loud: npt.NDArray[np.bool_]) -> float | None:
        """Confidence of a grammar path, None when it must be rejected as out of grammar."""
        covered, worst = np.zeros(loud.size, dtype=bool), 0.0
        for s in segs:
            frames = s.end_frame - s.start_frame + 1
            worst = min(worst, math.log(s.ascore) / frames if s.ascore > 0 else -math.inf)
            covered[s.start_frame : s.end_frame + 1] = True
        uncovered = float(np.sum(loud & ~covered)) / max(1, int(np.sum(loud)))
        if not segs or worst < self._opts.min_word_score or uncovered > self._opts.max_uncovered:
            return None
        return (1.0 - uncovered) / (1.0 + math.exp(self._opts.min_word_score - worst))

    def _near_miss(self, segs: list[Any], loud: npt.NDArray[np.bool_]) -> bool:
        """A grammar path rejected only because its weakest word scored a little under
        ``min_word_score`` (a codec or a clipped onset can do that to a right answer)."""
        if not segs:
            return False
        worst = min(_word_score(s) for s in segs)
        floor = self._opts.min_word_score - NEAR_MISS
        return floor <= worst < self._opts.min_word_score and self._covers(segs, loud)

    def _covers(self, segs: list[Any], loud: npt.NDArray[np.bool_]) -> bool:
        covered = np.zeros(loud.size, dtype=bool)
        for s in segs:
            covered[s.start_frame : s.end_frame + 1] = True
        uncovered = float(np.sum(loud & ~covered)) / max(1, int(np.sum(loud)))
        return uncovered <= self._opts.max_uncovered

    @staticmethod
    def _second_chance(grammar: list[Any], free: list[Any]) -> float | None:
        """Keep a near miss when the grammar's words explain the audio almost as well as
        the free language model's best words do (acoustic score per frame, each path's
        own words): right answers measured within 0.5 of it, wrong ones forced onto the
        grammar 1.1 to 4 below. The confidence is then low: 0.2 down to 0."""
        gap = _per_frame(free) - _per_frame(grammar)
        return None if gap > MAX_SCORE_GAP else 0.2 * (1.0 - max(gap, 0.0) / MAX_SCORE_GAP)

    def prepare(self, hints: tuple[str, ...], pattern: Pattern | None) -> None:
        """Compile the grammar of ``hints`` and ``pattern`` ahead of the decode."""
        self._use_grammar(hints, pattern)

    def _use_grammar(self, hints: tuple[str, ...], pattern: Pattern | None) -> bool:
        """Make ``hints`` (or ``pattern``, when given) the grammar of the hints search;
        False when no phrase is usable."""
        if (hints, pattern) != (self._hints, self._pattern):
            self._hints, self._pattern, self._phrases = hints, pattern, {}
            for hint in hints:
                if words := [w for w in _words(hint) if self._in_dictionary(w)]:
                    self._phrases.setdefault(" ".join(words), hint)
            rule = " | ".join(self._phrases)
            if pattern:  # the answer's wording, or any phrase (the flow's global intents)
                answer = " ".join(self._part_rule(part) for part in pattern)
                rule = " | ".join([f"( {answer} )", *self._phrases])
            if rule.strip():
                grammar = f"#JSGF V1.0;\ngrammar {_HINTS};\npublic <{_HINTS}> = {rule};\n"
                self._dec.add_jsgf_string(_HINTS, grammar)
        return bool(self._phrases) or bool(pattern)

    def _part_rule(self, part: Part) -> str:
        """A pattern part in JSGF: ``( a | b )``, ``[ ... ]`` if optional, ``+`` if repeated."""
        said = [" ".join(ws) for p in part.words if (ws := self._known_words(p))]
        alternatives = f"( {' | '.join(dict.fromkeys(said)) or '<NULL>'} )"
        if part.repeat:
            alternatives += "+"
        return f"[ {alternatives} ]" if part.optional else alternatives

    def _known_words(self, phrase: str) -> list[str]:
        words = _words(phrase)
        return words if all(self._in_dictionary(w) for w in words) else []

    def _in_dictionary(self, word: str) -> bool:
        """True if the word is known or was added as a compound of two known words."""
        if self._dec.lookup_word(word):
            return True
        for i in range(len(word) - 3, 2, -1):  # "frontdesk" = front + desk
            head, tail = self._dec.lookup_word(word[:i]), self._dec.lookup_word(word[i:])
            if head and tail:
                self._dec.add_word(word, f"{head} {tail}")
                return True
        logger.warning("PocketSphinx has no pronunciation for hint word %r; dropped", word)
        return False


class PocketSphinxSTT(LocalRecognizer):
    """Offline English STT on PocketSphinx, with per-turn phrase hints (:meth:`set_hints`)."""

    error = PocketSphinxSTTError
    thread_name = "pocketsphinx"
    request_prefix = "ps_"

    def __init__(
        self,
        *,
        language: str = "en-US",
        hints: Sequence[str] | None = None,
        noise_floor: float = 30.0,
        min_rms: float = 100.0,
        min_word_score: float = -9.0,
        max_uncovered: float = 0.2,
        grammar_fallback: bool = True,
    ) -> None:
        if not language.lower().startswith("en"):
            raise ProviderError(f"PocketSphinx has only an English model, not {language!r}")
        super().__init__(language=language)
        self._opts = _STTOptions(
            language, noise_floor, min_rms, min_word_score, max_uncovered, grammar_fallback
        )
        self._engine: _Engine | None = None  # built and used in the executor thread only
        self._hints: tuple[str, ...] = ()
        self._pattern: Pattern | None = None
        self.set_hints(hints)

    @property
    def model(self) -> str:
        return "en-us"

    @property
    def provider(self) -> str:
        return "PocketSphinx"

    @property
    def hints(self) -> tuple[str, ...]:
        return self._hints

    def set_hints(self, phrases: Sequence[str] | None, *, pattern: Pattern | None = None) -> None:
        """Decode the next turns against these phrases (None or empty: free speech), or
        against ``pattern`` (a typed answer's wording) when given.

        Case, punctuation and digits are normalised; a phrase is returned as given here, a
        pattern match as the words heard.
        """
        phrases = [phrases] if isinstance(phrases, str) else (phrases or [])
        hints = tuple(dict.fromkeys(p.strip() for p in phrases if p.strip()))
        changed = (hints, pattern) != (self._hints, self._pattern)
        self._hints, self._pattern = hints, pattern
        if changed and (hints or pattern) and self._engine is not None:
            # compile the grammar now, on the recognizer's thread, while the agent speaks
            # its prompt: not between the end of the caller's answer and its decode
            with contextlib.suppress(RuntimeError):  # closed: nothing left to decode
                self._executor.submit(self._prepare_grammar, hints, pattern)

    def _prepare_grammar(self, hints: tuple[str, ...], pattern: Pattern | None) -> None:
        engine = self._engine
        if engine is None:
            return
        try:
            engine.prepare(hints, pattern)
        except Exception:  # the decode builds it again, and reports what fails
            logger.exception("PocketSphinx grammar not prepared")

    def _context(self) -> _Context:
        # as they are when the turn is handed over
        return self._hints, self._pattern, self._opts.grammar_fallback

    async def decode(self, buffer: utils.AudioBuffer, *, fallback: bool) -> tuple[str, float]:
        """The text of ``buffer`` and its confidence against the current hints, decoding
        what they reject with the free language model only if ``fallback`` (else "")."""
        return await self._run(self._decode, buffer, (self._hints, self._pattern, fallback))

    def _load(self) -> _Engine:
        try:
            self._engine = self._engine or _Engine(self._opts)
        except Exception as e:
            raise PocketSphinxSTTError(f"cannot load PocketSphinx: {e}", retryable=False) from e
        return self._engine

    def _decode(self, buffer: utils.AudioBuffer, context: _Context) -> tuple[str, float]:
        hints, pattern, fallback = context
        try:
            pcm = _to_pcm16k(buffer)
        except ValueError as e:
            raise PocketSphinxSTTError(f"bad audio: {e}", retryable=False) from e
        engine = self._load()
        try:
            return engine.recognize(pcm, hints, pattern, fallback=fallback)
        except Exception:
            self._engine = None  # the decoder may be mid-utterance: rebuild it on retry
            raise
