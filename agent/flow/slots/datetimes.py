"""Dates and times (:func:`extract_datetime`) are read in the tenant's timezone, from
``ctx.now``; a small parser of our own (no dependency is installed for it, and
``dateparser`` is heavy and not deterministic enough for speech):

- Days: today, tonight, tomorrow, (the) day after tomorrow, "this evening", weekdays
  ("friday": the next Friday, today included; "next friday": the first after today), a
  day of the month ("on the 14th": this month, else the next month that has one), a
  month and day ("march 14th", "the 14th of march": this year, else next), "in 3 days";
  a weekday before a date ("saturday the 20th") must agree with it: of the date's next
  two occurrences, the one on that weekday, else None (asked again, never booked wrong).
- Times: "7", "7:30", "19:30", "seven thirty", "half past six", "quarter to eight",
  "ten past seven", "noon", "midnight"; then "am"/"pm", "o'clock", or a part of the day
  ("in the morning", "afternoon", "evening", "at night", "tonight").
- An hour from 1 to 11 without am/pm or a part of the day is am when it is at least
  ``ctx.earliest_hour`` (default 7), else pm: "at seven" is 7:00, "at two" 14:00. A
  tenant that opens at noon sets ``earliest_hour=12``, so "at seven" is 19:00. If the am
  reading has passed on the day meant and the pm one has not, pm is taken ("at nine"
  said at 10:00 is 21:00).
- The result is the first candidate after ``now``: with no day said, today, else
  tomorrow; a weekday or day of month, else a week or month later; "today" or
  "tomorrow" with a time already past give None.
- A day without a time gives None (the flow should ask for the time); "in two hours" or
  "in 20 minutes" need none. :func:`extract_date` reads a day alone (a wedding, a
  birthday): the same day phrases, or a numeric date, day first as in the UK
  ("20/06/2026"), month first only when the day comes second ("06/20/2026"). A numeric
  date is never read as a time. When several days or times are said, the last one wins
  ("friday, no, saturday at 7"). A bare number ("six") is a time only if no other time
  is said and no "people" follows; "at", am/pm, minutes or o'clock make it one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from .context import SlotContext, SlotValue
from .datetime_pieces import _MONTHS, _WEEKDAYS, Meridiem, _Clock, _Cue, _Days, _Piece, _pieces
from .numbers import _FILLERS, words


def _hours(clock: _Clock, meridiem: Meridiem | None, earliest: int) -> tuple[int, ...]:
    """The 24-hour readings of ``clock``, preferred first (see the module docstring)."""
    hour = clock.hour
    if hour == 0 or hour > 12:
        return (hour,)
    if meridiem is not None:
        return (hour % 12 + (12 if meridiem == "pm" else 0),)
    if hour == 12 or hour < earliest:
        return (hour % 12 + 12,)
    return (hour, hour + 12)


def _resolve(pieces: Sequence[_Piece], ctx: SlotContext) -> datetime | None:
    now = ctx.local_now
    offsets = [p for p in pieces if isinstance(p, timedelta)]
    if offsets:
        later = (now.astimezone(UTC) + offsets[-1]).astimezone(ctx.timezone)
        return later.replace(second=0, microsecond=0)
    clocks = [p for p in pieces if isinstance(p, _Clock)]
    marked = [c for c in clocks if c.marked]
    clock = marked[-1] if marked else (clocks[0] if len(clocks) == 1 else None)
    if clock is None:
        return None
    days = [p for p in pieces if isinstance(p, _Days)]
    cues = [p.meridiem for p in pieces if isinstance(p, _Cue | _Days) and p.meridiem]
    meridiem = clock.meridiem or (cues[-1] if cues else None)
    today = now.date()
    dates = days[-1].dates if days else (today, today + timedelta(days=1))
    for day in dates:
        midnight = datetime(day.year, day.month, day.day, tzinfo=ctx.timezone)
        for hour in _hours(clock, meridiem, ctx.earliest_hour):
            if (at := midnight + timedelta(hours=hour, minutes=clock.minute)) > now:
                return at
    return None


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def say_datetime(at: datetime, today: date) -> str:
    """ "today at 7 pm", "tomorrow at noon", "Friday the 14th at 6:30 pm" (plus the month
    when it is not ``today``'s)."""
    day = at.date()
    if day - today in (timedelta(0), timedelta(days=1)):
        said = "today" if day == today else "tomorrow"
    else:
        said = f"{_WEEKDAYS[day.weekday()].title()} the {_ordinal(day.day)}"
        if (day.year, day.month) != (today.year, today.month):
            said += f" of {_MONTHS[day.month - 1].title()}"
    if (at.hour, at.minute) in ((12, 0), (0, 0)):
        return f"{said} at {'noon' if at.hour else 'midnight'}"
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{said} at {at.hour % 12 or 12}{minutes} {'am' if at.hour < 12 else 'pm'}"


def extract_datetime(text: str, ctx: SlotContext) -> SlotValue | None:
    """The date and time said, in ``ctx.timezone``, after ``ctx.now`` (rules above)."""
    if _NUMERIC_DATE.search(text):
        return None  # a date written in numbers holds no time; never read it as one
    today = ctx.local_now.date()
    at = _resolve(_pieces([w for w in words(text) if w not in _FILLERS], today), ctx)
    return None if at is None else SlotValue(at, say_datetime(at, today))


_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\b")


def extract_date(text: str, ctx: SlotContext) -> SlotValue | None:
    """A day (no time): today or later, as an ISO date, said "Saturday the 20th of June"."""
    today = ctx.local_now.date()
    numeric = _NUMERIC_DATE.search(text)
    if numeric is not None:
        day = _numeric_date(*numeric.groups(), today=today)
    else:
        pieces = _pieces([w for w in words(text) if w not in _FILLERS], today)
        days = [p for p in pieces if isinstance(p, _Days)]
        day = next((d for d in days[-1].dates if d >= today), None) if days else None
    if day is None:
        return None
    return SlotValue(day.isoformat(), say_date(day, today))


def _numeric_date(first: str, second: str, year: str | None, *, today: date) -> date | None:
    a, b = int(first), int(second)
    day, month = (b, a) if a <= 12 < b else (a, b)  # UK order unless it cannot be
    full_year = today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        found = date(full_year, month, day)
    except ValueError:
        return None
    if year is None and found < today:
        found = found.replace(year=found.year + 1)
    return found if found >= today else None


def say_date(day: date, today: date) -> str:
    """ "today", "tomorrow", "Saturday the 20th of June" (and the year if not this one)."""
    if day - today in (timedelta(0), timedelta(days=1)):
        return "today" if day == today else "tomorrow"
    weekday, month = _WEEKDAYS[day.weekday()].title(), _MONTHS[day.month - 1].title()
    said = f"{weekday} the {_ordinal(day.day)} of {month}"
    return said if day.year == today.year else f"{said} {day.year}"
