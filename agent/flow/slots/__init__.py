"""Typed slot values from what a caller said: numbers, dates and times, emails, phone
numbers, names and free text. Deterministic: no LLM, no network, no locale.

The input is STT output: lower-case, mostly unpunctuated, numbers as digits or words
("twenty two", "a dozen", "two hundred and five"). Each extractor returns a
:class:`SlotValue` (the typed value and a ``display`` form to speak back), or None when
the utterance holds no such value, so the flow reprompts. ``yes_no`` and ``choice`` live
in :mod:`..match`. :data:`EXTRACTORS` maps each other :class:`~..model.AskType` to its
extractor.

Modules: :mod:`.context` (:class:`SlotValue`, :class:`SlotContext`), :mod:`.numbers`,
:mod:`.datetimes` (with :mod:`.datetime_pieces`), :mod:`.contact` (email, phone) and
:mod:`.names` (name, free text).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..model import AskType
from .contact import extract_email, extract_phone
from .context import Extractor, SlotContext, SlotValue
from .datetime_pieces import _WEEKDAYS, Meridiem
from .datetimes import extract_date, extract_datetime, say_date, say_datetime
from .names import COMMON_NAMES, SURNAMES, extract_name, extract_text
from .numbers import _UNITS, extract_number, read_number, words
from .patterns import Part, Pattern, pattern_for_type

__all__ = [
    "EXTRACTORS",
    "Extractor",
    "Meridiem",
    "Part",
    "Pattern",
    "SlotContext",
    "SlotValue",
    "extract_date",
    "extract_datetime",
    "extract_email",
    "extract_name",
    "extract_number",
    "extract_phone",
    "extract_text",
    "hints_for_type",
    "pattern_for_type",
    "read_number",
    "say_date",
    "say_datetime",
    "words",
]

EXTRACTORS: Mapping[AskType, Extractor] = MappingProxyType({
    AskType.NUMBER: extract_number,
    AskType.DATETIME: extract_datetime,
    AskType.DATE: extract_date,
    AskType.EMAIL: extract_email,
    AskType.PHONE: extract_phone,
    AskType.NAME: extract_name,
    AskType.TEXT: extract_text,
})  # fmt: skip
"""The extractor of each slot type; ``yes_no`` and ``choice`` are matched in :mod:`..match`."""

_HINTS: Mapping[AskType, tuple[str, ...]] = MappingProxyType({
    AskType.NUMBER: (*_UNITS[1:13], "twenty", "thirty", "hundred", "a dozen", "a couple"),
    AskType.DATETIME: (
        "today", "tonight", "tomorrow", *_WEEKDAYS, "next", "noon", "midnight", "a m",
        "at", "on", *_UNITS[1:13], "thirty", "fifteen", "forty five", "oh",
        "p m", "o'clock", "half past", "quarter past", "quarter to", "in the morning",
        "in the afternoon", "in the evening",
    ),
    AskType.DATE: (
        "today", "tomorrow", *_WEEKDAYS, "next", "the first", "the second", "the third",
        "of january", "of february", "of march", "of april", "of may", "of june",
        "of july", "of august", "of september", "of october", "of november", "of december",
    ),
    AskType.EMAIL: ("at", "dot", "dot com", "gmail", "outlook", "underscore", "dash"),
    AskType.PHONE: (*_UNITS[:10], "oh", "double", "triple", "plus"),
    AskType.NAME: ("my name is", "this is", "it's", "it is", *COMMON_NAMES, *SURNAMES),
})  # fmt: skip


def hints_for_type(slot_type: AskType) -> tuple[str, ...]:
    """STT phrase hints while listening for a slot of ``slot_type`` (() for free text;
    ``yes_no`` and ``choice`` hints come from :func:`..match.hints_for`)."""
    return _HINTS.get(slot_type, ())
