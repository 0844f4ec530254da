"""When the business is open, for asks that must fall inside its hours.

An ``ask`` of type ``datetime`` with ``business_hours: true`` (a table, a collection) takes
only a time when the tenant is open. :meth:`OpeningHours.closed_at` says why another time
does not work, the way a receptionist would ("Sorry, we're closed on Mondays."), and the
ask then asks for another time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

Span = tuple[time, time]  # opens, closes (tenant-local)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpeningHours:
    """Opening and closing time per weekday, Monday first; None: closed all day."""

    days: tuple[Span | None, ...]

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_NAMES):
            raise ValueError(f"opening hours need 7 days, Monday first, not {len(self.days)}")

    @classmethod
    def from_spans(cls, spans: Sequence[Span | None]) -> OpeningHours | None:
        """The hours of ``spans``, or None when every day is closed (hours not given:
        nothing can be checked against them)."""
        return cls(tuple(spans)) if any(spans) else None

    def closed_at(self, at: datetime) -> str | None:
        """None when open at ``at`` (a tenant-local time), else why not, to be said."""
        weekday = at.weekday()
        span = self.days[weekday]
        plural = DAY_NAMES[weekday] + "s"
        if span is None:
            return f"Sorry, we're closed on {plural}."
        opens, closes = span
        if opens <= at.time() < closes:
            return None
        said = f"Sorry, on {plural} we're open from {say_time(opens)} to {say_time(closes)}"
        return said if said.endswith(".") else f"{said}."


def say_time(at: time) -> str:
    """ "8 a.m.", "7:30 p.m.", "noon", "midnight": a clock time as it is spoken."""
    if at.minute == 0 and at.hour in (0, 12):
        return "noon" if at.hour else "midnight"
    if at >= time(23, 59):
        return "midnight"
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{at.hour % 12 or 12}{minutes} {'a.m.' if at.hour < 12 else 'p.m.'}"
