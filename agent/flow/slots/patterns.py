"""How typed answers are worded, as patterns an offline recognizer can decode against.

A grammar-based recognizer (PocketSphinx) is accurate on phrases it is told to expect and
poor on free speech. A typed answer (a number, a date and time, a phone number, a name)
is not one of a few phrases, and a free loop of its words lets the decoder insert words.
A :data:`~agent.phrases.Pattern` is an ordered list of parts, each a choice of words,
maybe optional, maybe repeated: "[my name is] <first name> [<surname>]". The recognizer
compiles it to its grammar (JSGF for PocketSphinx); cloud recognizers take the hints.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ...phrases import Part, Pattern
from ..model_base import AskType
from .datetime_pieces import _MONTHS, _WEEKDAYS
from .names import COMMON_NAMES, SURNAMES
from .numbers import _ORDINAL_WORDS, _TENS, _UNITS

__all__ = ["PATTERNS", "Part", "Pattern", "pattern_for_type"]

_HOURS = (*_UNITS[1:13], "noon", "midnight")
_COUNTS = (*_UNITS[1:20], *(f"{t} {u}".strip() for t in _TENS[:1] for u in ("", *_UNITS[1:10])))
_DAYS: tuple[str, ...] = ("today", "tonight", "tomorrow", "this evening", *_WEEKDAYS)
_DAYS += tuple(f"next {d}" for d in _WEEKDAYS) + tuple(f"on {d}" for d in _WEEKDAYS)
_ORDINAL_DAYS = (*_ORDINAL_WORDS, "thirtieth", "thirty first")
_DIGITS = (*_UNITS[:10], "oh", "double", "triple", "plus")

PATTERNS: Mapping[AskType, Pattern] = MappingProxyType({
    AskType.NUMBER: (
        Part(("a table for", "a party of", "there are", "there will be", "we are", "just"),
             optional=True),
        Part((*_COUNTS, "a dozen", "a couple")),
        Part(("people", "of us", "guests", "adults"), optional=True),
    ),
    AskType.DATETIME: (
        Part(_DAYS, optional=True),
        Part(("at", "around", "about"), optional=True),
        Part(("half past", "quarter past", "quarter to"), optional=True),
        Part(_HOURS),
        Part(("o'clock", "fifteen", "thirty", "forty five"), optional=True),
        Part(("p m", "in the morning", "in the afternoon", "in the evening"), optional=True),
        Part(_DAYS, optional=True),
    ),
    AskType.DATE: (
        Part(("on", "it's on", "it is on"), optional=True),
        Part((*_WEEKDAYS, "today", "tomorrow"), optional=True),
        Part(("the",), optional=True),
        Part(_ORDINAL_DAYS, optional=True),
        Part(tuple(f"of {m}" for m in _MONTHS) + _MONTHS, optional=True),
    ),
    AskType.PHONE: (
        Part(("my number is", "it's", "it is", "that's"), optional=True),
        Part(_DIGITS, repeat=True),
    ),
    AskType.NAME: (
        Part(("my name is", "this is", "it's", "it is", "i'm", "i am"), optional=True),
        Part(COMMON_NAMES),
        Part(SURNAMES, optional=True),
    ),
})  # fmt: skip


def pattern_for_type(slot_type: AskType) -> Pattern | None:
    """How answers of ``slot_type`` are worded (None: no pattern, use the hints)."""
    return PATTERNS.get(slot_type)
