"""The pieces of a date and time said, left to right: days ("friday", "the 14th of
march"), times ("half past six"), parts of the day ("in the evening") and offsets ("in two
hours"). :mod:`.datetimes` resolves them into one datetime."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from .numbers import _ORDINALS, _SMALL, WAIT_WORDS, _at, read_number

Meridiem = Literal["am", "pm"]
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_PARTS: dict[str, Meridiem] = {
    "morning": "am", "afternoon": "pm", "evening": "pm", "night": "pm", "tonight": "pm",
}  # fmt: skip
_AT = frozenset({"at", "around", "about", "by", "from", "until", "till"})
_PARTY = frozenset({"people", "persons", "guests", "adults", "of", "kids", "children"})
_SPANS = {"minute": 1, "min": 1, "hour": 60, "day": 1440, "week": 10080}
_HHMM = re.compile(r"(\d{1,2}):(\d\d)")
_DAY = re.compile(r"(\d{1,2})(st|nd|rd|th)?")


@dataclass(frozen=True)
class _Clock:
    """A time of day as said; ``hour`` 0-24 (24: midnight); ``marked``: said as a time."""

    hour: int
    minute: int
    meridiem: Meridiem | None = None
    marked: bool = False


@dataclass(frozen=True)
class _Days:
    """The dates a day phrase may mean, in order of preference."""

    dates: tuple[date, ...]
    meridiem: Meridiem | None = None  # "tonight", "this evening"


@dataclass(frozen=True)
class _Cue:
    meridiem: Meridiem


_Piece = _Clock | _Days | _Cue | timedelta
_Found = tuple[_Piece, int] | None


def _offset_at(said: Sequence[str], i: int, today: date) -> _Found:
    """ "in two hours", "in half an hour", "in a couple of days"."""
    if said[i] != "in":
        return None
    if tuple(said[i + 1 : i + 4]) == ("half", "an", "hour"):
        return timedelta(minutes=30), i + 4
    number = read_number(said, i + 1) or ((1, i + 2) if _at(said, i + 1) in ("a", "an") else None)
    if number is None:
        return None
    amount, j = number
    j += _at(said, j) == "of"
    minutes = _SPANS.get(_at(said, j).removesuffix("s"))
    if minutes is None or not 0 < amount <= 1000:
        return None
    if minutes < _SPANS["day"]:
        return timedelta(minutes=amount * minutes), j + 1
    return _Days((today + timedelta(minutes=amount * minutes),)), j + 1


def _named_day_at(said: Sequence[str], i: int, today: date) -> _Found:
    """today, tonight, tomorrow, (the) day after tomorrow, this morning/evening."""
    word, skip = said[i], int(said[i] == "the")
    if tuple(said[i + skip : i + skip + 3]) == ("day", "after", "tomorrow"):
        return _Days((today + timedelta(days=2),)), i + skip + 3
    if word in ("today", "tonight", "tomorrow"):
        day = today + timedelta(days=int(word == "tomorrow"))
        return _Days((day,), _PARTS.get(word)), i + 1
    if word == "this" and _at(said, i + 1) in _PARTS:
        return _Days((today,), _PARTS[said[i + 1]]), i + 2
    return None


def _weekday_at(said: Sequence[str], i: int, today: date) -> _Found:
    """ "friday", "this friday", "next friday" (the first after today)."""
    j = i + int(said[i] in ("next", "this", "on"))
    if _at(said, j) not in _WEEKDAYS:
        return None
    first = today + timedelta(days=(_WEEKDAYS.index(said[j]) - today.weekday()) % 7)
    if said[i] == "next" and first == today:
        first += timedelta(days=7)
    return _Days((first, first + timedelta(days=7))), j + 1


def _read_day(said: Sequence[str], i: int) -> tuple[int, int, bool] | None:
    """A day of the month at ``i``: (day, index after, said as an ordinal)."""
    word, following = _at(said, i), _at(said, i + 1)
    if match := _DAY.fullmatch(word):
        day, j, ordinal = int(match[1]), i + 1, bool(match[2])
    elif word in _SMALL and following in _ORDINALS and _ORDINALS[following] < 10:
        day, j, ordinal = _SMALL[word] + _ORDINALS[following], i + 2, True  # twenty first
    elif word in _ORDINALS:
        day, j, ordinal = _ORDINALS[word], i + 1, True
    elif (number := read_number(said, i)) and isinstance(number[0], int):
        day, j, ordinal = number[0], number[1], False
    else:
        return None
    return (day, j, ordinal) if 1 <= day <= 31 or ordinal else None  # "32nd" gives no date


def _date_at(said: Sequence[str], i: int, today: date) -> _Found:
    """ "march 14th", "the 14th of march", "14th march", "the fourteenth", "the 14"."""
    before = _at(said, i - 1)
    weekday = _WEEKDAYS.index(before) if before in _WEEKDAYS else None  # "saturday the 20th"
    if said[i] in _MONTHS:
        day = _read_day(said, i + 1 + int(_at(said, i + 1) == "the"))
        if day is None:
            return None
        return _Days(_month_days(today, day[0], _MONTHS.index(said[i]) + 1, weekday)), day[1]
    the = said[i] == "the"
    day = _read_day(said, i + int(the))
    if day is None or _at(said, i - 1) == "a":  # "just a second"
        return None
    value, j, ordinal = day
    if _at(said, j) == "of" and _at(said, j + 1) not in _MONTHS:
        return None  # "the two of us"
    j += _at(said, j) == "of"
    if _at(said, j) in _MONTHS:
        return _Days(_month_days(today, value, _MONTHS.index(said[j]) + 1, weekday)), j + 1
    return (_Days(_month_days(today, value, None, weekday)), j) if the or ordinal else None


def _month_days(
    today: date, day: int, month: int | None, weekday: int | None = None
) -> tuple[date, ...]:
    """The next two dates on or after ``today`` with this ``day`` (and ``month``); with
    a ``weekday`` ("saturday the 20th"), those of them that fall on it: none when neither
    does (the caller misspoke, or was misheard: better asked again than booked wrong)."""
    found: list[date] = []
    year, current = today.year, month or today.month
    while len(found) < 2 and year <= today.year + 8:
        with suppress(ValueError):
            if (candidate := date(year, current, day)) >= today:
                found.append(candidate)
        if month is None and current < 12:
            current += 1
        else:
            year, current = year + 1, month or 1
    return tuple(d for d in found if weekday in (None, d.weekday()))


def _cue_at(said: Sequence[str], i: int, today: date) -> _Found:
    """A part of the day: "in the evening", "at night", "morning"."""
    return (_Cue(_PARTS[said[i]]), i + 1) if said[i] in _PARTS else None


def _clock_at(said: Sequence[str], i: int, today: date) -> _Found:
    """A time of day, with its am/pm and o'clock."""
    if said[i] in ("noon", "midday", "midnight"):
        return _Clock(24 if said[i] == "midnight" else 12, 0, "pm", True), i + 1
    found = _past_to_at(said, i) or _hour_at(said, i)
    if found is None:
        return None
    clock, j = found
    oclock = _at(said, j) == "oclock"
    j += oclock
    meridiem: Meridiem | None = None
    if _at(said, j) in ("am", "pm"):
        meridiem, j = ("am" if said[j] == "am" else "pm"), j + 1
    marked = clock.marked or oclock or meridiem is not None or _at(said, i - 1) in _AT
    if not marked and _at(said, j) in _PARTY | WAIT_WORDS:  # "for six people", "one moment"
        return None
    return replace(clock, meridiem=meridiem, marked=marked), j


def _hour_at(said: Sequence[str], i: int) -> tuple[_Clock, int] | None:
    """ "7", "19:30", "seven thirty", "seven oh five", "6 45"."""
    if match := _HHMM.fullmatch(said[i]):
        hour, minute = int(match[1]), int(match[2])
        return (_Clock(hour, minute, marked=True), i + 1) if hour < 24 and minute < 60 else None
    number = read_number(said, i)
    if number is None or not isinstance(number[0], int) or number[0] > 23:
        return None
    hour, j = int(number[0]), number[1]
    word, following = _at(said, j), _at(said, j + 1)
    if word in ("oh", "o") and _SMALL.get(following, 10) < 10:
        return _Clock(hour, _SMALL[following], marked=True), j + 2
    if re.fullmatch(r"\d\d", word) and int(word) < 60:
        return _Clock(hour, int(word), marked=True), j + 1
    minutes = read_number(said, j) if word.isalpha() else None
    if minutes is not None and isinstance(minutes[0], int) and 10 <= minutes[0] < 60:
        return _Clock(hour, minutes[0], marked=True), minutes[1]
    return _Clock(hour, 0), j


def _past_to_at(said: Sequence[str], i: int) -> tuple[_Clock, int] | None:
    """ "half past six", "a quarter to eight", "ten past seven", "twenty minutes to 8"."""
    j = i + int(said[i] == "a")
    if _at(said, j) in ("half", "quarter"):
        minutes, j = (30 if said[j] == "half" else 15), j + 1
    elif (number := read_number(said, j)) and number[0] in range(5, 30, 5):
        minutes, j = int(number[0]), number[1]
    else:
        return None
    j += _at(said, j) in ("minute", "minutes")
    after = _at(said, j) in ("past", "after")
    hour = read_number(said, j + 1) if after or _at(said, j) in ("to", "before") else None
    if hour is None or hour[0] not in range(1, 13):
        return None
    if after:
        return _Clock(int(hour[0]), minutes, marked=True), hour[1]
    return _Clock(int(hour[0]) - 1 or 12, 60 - minutes, marked=True), hour[1]


_PARSERS: tuple[Callable[[Sequence[str], int, date], _Found], ...] = (
    _offset_at, _named_day_at, _weekday_at, _date_at, _cue_at, _clock_at,
)  # fmt: skip


def _pieces(said: Sequence[str], today: date) -> list[_Piece]:
    """Every day, time, part of day and offset said, left to right."""
    pieces: list[_Piece] = []
    i = 0
    while i < len(said):
        found = next((f for parse in _PARSERS if (f := parse(said, i, today))), None)
        if found is None:
            i += 1
        else:
            pieces.append(found[0])
            i = found[1]
    return pieces
