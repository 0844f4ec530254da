"""When the business is open, for asks that must fall inside its hours.

An ``ask`` of type ``datetime`` with ``business_hours: true`` (a table, a collection, an
appointment) takes only a time when the tenant is open and takes appointments.
:meth:`OpeningHours.closed_at` says why another time does not work, the way a
receptionist would, with the note the business gave that day, and the ask then asks for
another time:

- "Sorry, we're closed on Mondays."
- "Sorry, on Saturdays we're open from 9 a.m. to noon, emergencies only."
- "Sorry, we're closed on Thursday the 26th of November, for Thanksgiving Day."
- "Sorry, we're closed on Thursday the 24th of December, Christmas Eve."

A date's hours are, first, an exceptional day covering it (``special``), then a public
holiday (``holiday``), then its weekday.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .slots.datetimes import say_date

Span = tuple[time, time]  # opens, closes (tenant-local)
SEARCH_DAYS = 400  # how far ahead next_open looks for an open day
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Day:
    """One day's opening: ``span`` (None: closed), the ``note`` a caller hears with it,
    and whether a ``business_hours`` ask may take a time on it (``appointments``)."""

    span: Span | None
    note: str = ""
    appointments: bool = True


@dataclass(frozen=True)
class SpecialDay:
    """Exceptional hours from ``first`` to ``last`` (inclusive): a closure when the
    day's ``span`` is None."""

    first: date
    last: date
    day: Day


@dataclass(frozen=True)
class OpeningHours:
    """Opening per weekday, Monday first (a :class:`Day`, or a span, or None: closed),
    exceptional days, and the public holiday of a date (its name; None: a working day)."""

    days: tuple[Day | Span | None, ...]
    special: tuple[SpecialDay, ...] = ()
    holiday: Callable[[date], str | None] | None = None

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_NAMES):
            raise ValueError(f"opening hours need 7 days, Monday first, not {len(self.days)}")
        object.__setattr__(self, "days", tuple(_day(d) for d in self.days))

    @classmethod
    def from_spans(
        cls,
        spans: Sequence[Day | Span | None],
        *,
        special: Sequence[SpecialDay] = (),
        holiday: Callable[[date], str | None] | None = None,
    ) -> OpeningHours | None:
        """The hours of ``spans``, or None when every weekday is closed (hours not given:
        nothing can be checked against them)."""
        days = tuple(_day(d) for d in spans)
        if not any(d.span for d in days):
            return None
        return cls(days, tuple(special), holiday)

    def weekday(self, day: date) -> Day:
        found = self.days[day.weekday()]
        assert isinstance(found, Day)  # __post_init__ made every entry a Day
        return found

    def on(self, day: date) -> tuple[Day, str]:
        """The opening on ``day`` and why it is not the weekday's: "special", "holiday"
        or "" (the weekday's own)."""
        for special in self.special:
            if special.first <= day <= special.last:
                return special.day, "special"
        name = self.holiday(day) if self.holiday is not None else None
        if name:
            return Day(None, f"for {name}"), "holiday"
        return self.weekday(day), ""

    def next_open(self, at: datetime) -> datetime | None:
        """``at`` (a timezone-aware, tenant-local time) when open then, else the start of
        the next opening after it (exceptional days and holidays count; "no
        appointments" days are open); None when nothing opens within SEARCH_DAYS."""
        for ahead in range(SEARCH_DAYS):
            day = at.date() + timedelta(days=ahead)
            span = self.on(day)[0].span
            if span is None:
                continue
            opens = datetime.combine(day, span[0], at.tzinfo)
            closes = datetime.combine(day, span[1], at.tzinfo)
            if at < closes:
                return max(at, opens)
        return None

    def closed_at(self, at: datetime, *, today: date | None = None) -> str | None:
        """None when ``at`` (a tenant-local time) can be taken, else why not, to be said.
        ``today`` (tenant-local) lets a date be said as "today" or "tomorrow"."""
        day, why = self.on(at.date())
        span = day.span
        if span is not None and span[0] <= at.time() < span[1] and day.appointments:
            return None
        when = _when(at.date(), why, today)
        note = f", {day.note}" if day.note else ""
        if span is None:
            closed = f"closed {when}" if when in ("today", "tomorrow") else f"closed on {when}"
            return f"Sorry, we're {closed}{note}."
        if span[0] <= at.time() < span[1] and not note:
            return f"Sorry, we don't take appointments on {when}."
        on = when if when in ("today", "tomorrow") else f"on {when}"
        hours = f"from {say_time(span[0])} to {say_time(span[1])}"
        return _sentence(f"Sorry, {on} we're open {hours}{note}")


def _day(value: Day | Span | None) -> Day:
    return value if isinstance(value, Day) else Day(value)


def _when(day: date, why: str, today: date | None) -> str:
    """A weekday's plural ("Saturdays"), or the date itself for an exceptional day."""
    if not why:
        return DAY_NAMES[day.weekday()] + "s"
    if today is None:  # a reference that is neither the day nor the day before it
        today = date(day.year, 12, 31) if (day.month, day.day) <= (1, 2) else date(day.year, 1, 1)
    return say_date(day, today)


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:] if text else text
    return text if text.endswith((".", "!", "?")) else f"{text}."


def say_time(at: time) -> str:
    """ "8 a.m.", "7:30 p.m.", "noon", "midnight": a clock time as it is spoken."""
    if at.minute == 0 and at.hour in (0, 12):
        return "noon" if at.hour else "midnight"
    if at >= time(23, 59):
        return "midnight"
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{at.hour % 12 or 12}{minutes} {'a.m.' if at.hour < 12 else 'p.m.'}"
