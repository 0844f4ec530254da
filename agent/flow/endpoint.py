"""Whether the caller's words so far are a whole answer to the listening node.

The flow knows what the current node expects: phrases (choices, yes or no, intents, the
global intents), a typed answer's :data:`~agent.phrases.Pattern` ("[my name is] <first
name> [<surname>]", "<digit>+") and, for an ask, its own reader (the extractor that fills
its slot). :class:`Expectation` holds them, built once when the node is entered, and
:meth:`Expectation.judge` classifies a hypothesis:

* :attr:`Completeness.COMPLETE`: the node's reader takes it (a choice, yes or no, a
  number, a phone number of its country's length, a name), or it is one of the phrases:
  the caller has answered, the turn can end after a short silence;
* :attr:`Completeness.PARTIAL`: it is the start of a longer phrase or of an answer the
  pattern allows but the reader does not take yet ("my name is", "zero two zero nine"):
  the caller is mid-answer, the turn should wait longer than usual;
* :attr:`Completeness.OPEN`: anything else (a question, free speech, a node that expects
  nothing in particular): generic endpointing.

Pure: no livekit import; the session's turn detector (:mod:`agent.endpointing`) maps
the classes to endpointing delays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from ..phrases import Pattern
from .match import tokens

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT = re.compile(r"(\d)")  # "7pm" -> 7, pm

Words = tuple[str, ...]
Reader = Callable[[str], bool]  # True if the words hold the node's answer


class Completeness(Enum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    OPEN = "open"


def words(text: str) -> Words:
    """``text`` as matching tokens, digit strings read digit by digit ("0209" -> zero two
    zero nine, as a grammar-bound recognizer returns them)."""
    return tuple(
        _DIGIT_WORDS[int(piece)] if piece.isdigit() else piece
        for token in tokens(text)
        for piece in _DIGIT.split(token)
        if piece
    )


@dataclass(frozen=True)
class _Part:
    phrases: tuple[Words, ...]
    optional: bool
    repeat: bool


# a position in a pattern: (part index, words left of the phrase being said, phrases said
# in this part)
_State = tuple[int, Words, int]


@dataclass(frozen=True)
class CompiledPattern:
    """A pattern as token sequences, scanned word by word (a small NFA)."""

    parts: tuple[_Part, ...]

    @classmethod
    def of(cls, pattern: Pattern) -> CompiledPattern:
        return cls(
            tuple(
                _Part(
                    tuple(dict.fromkeys(ws for p in part.words if (ws := words(p)))),
                    part.optional,
                    part.repeat,
                )
                for part in pattern
            )
        )

    def scan(self, said: Sequence[str]) -> tuple[bool, bool]:
        """(whole, viable): whether ``said`` is a whole answer of the pattern, and whether
        it is at least the start of one."""
        states = self._closure({(0, (), 0)})
        for word in said:
            states = self._closure(self._step(states, word))
            if not states:
                return False, False
        whole = any(p == len(self.parts) and not rest for p, rest, _ in states)
        return whole, True

    def _step(self, states: set[_State], word: str) -> set[_State]:
        out: set[_State] = set()
        for p, rest, n in states:
            if rest:
                if rest[0] == word:
                    out.add((p, rest[1:], n))
                continue
            if p == len(self.parts):
                continue
            part = self.parts[p]
            if n and not part.repeat:
                continue
            for phrase in part.phrases:
                if phrase[0] == word:
                    out.add((p, phrase[1:], n + 1))
        return out

    def _closure(self, states: set[_State]) -> set[_State]:
        """Add the states reached by moving past parts that are done or optional."""
        todo, seen = list(states), set(states)
        while todo:
            p, rest, n = todo.pop()
            if rest or p == len(self.parts):
                continue
            if n or self.parts[p].optional:
                nxt = (p + 1, (), 0)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen


@dataclass(frozen=True)
class Expectation:
    """What a listening node expects, ready to judge hypotheses against (built at node
    entry, so nothing is compiled while the caller waits for an answer)."""

    phrases: frozenset[Words] = frozenset()
    prefixes: frozenset[Words] = frozenset()  # strict prefixes of the phrases
    pattern: CompiledPattern | None = None
    reader: Reader | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls, hints: Sequence[str], pattern: Pattern | None = None, reader: Reader | None = None
    ) -> Expectation:
        phrases = frozenset(ws for h in hints if (ws := words(h)))
        prefixes = frozenset(p[:i] for p in phrases for i in range(1, len(p)))
        compiled = CompiledPattern.of(pattern) if pattern else None
        return cls(phrases, prefixes, compiled, reader)

    @property
    def expects(self) -> bool:
        """Whether the node expects particular answers at all (else: free speech)."""
        return bool(self.phrases or self.pattern is not None or self.reader is not None)

    def judge(self, text: str) -> Completeness:
        said = words(text)
        if not said:
            return Completeness.OPEN
        if self.reader is not None and self.reader(text):
            return Completeness.COMPLETE
        if self.pattern is not None:  # before the phrases: "my name is" is one of them
            whole, viable = self.pattern.scan(said)
            if viable and not (whole and self.reader is None):
                # the start of an answer, or one the pattern allows but the reader
                # rejects (a phone number still short of its country's length)
                return Completeness.PARTIAL
            if whole:
                return Completeness.COMPLETE
        if said in self.phrases:
            return Completeness.COMPLETE
        if said in self.prefixes:
            return Completeness.PARTIAL
        return Completeness.OPEN


NOTHING = Expectation()
