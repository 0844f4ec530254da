"""The parts of a tenant's ``hours`` beyond a weekly "HH:MM-HH:MM": a day with a note a
caller hears, public holidays, and exceptional days (a closure, shorter hours)::

    hours:
      mon: "08:00-17:00"
      sat: {open: "09:00-12:00", note: "emergencies only", appointments: false}
      holidays: {only: [New Year's Day, Thanksgiving Day, Christmas Day]}  # the country's
      exceptions:
        - {date: 2026-12-24, note: "Christmas Eve"}                          # closed
        - {from: 2026-08-10, to: 2026-08-14, note: "our staff training week"}
        - {date: 2026-12-31, open: "08:00-12:00", note: "New Year's Eve"}

Public holidays come from the ``holidays`` package (python-holidays), for the tenant's
country (or ``holidays.country``) and optional ``subdivision``; ``only`` keeps the named
ones (as the package names them; "(observed)" days follow their holiday).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from functools import cache
from typing import Annotated

import holidays as holiday_data
from pydantic import BaseModel, ConfigDict, Field, model_validator

DayRange = Annotated[str, Field(examples=["07:30-18:00", "closed"])]
Note = Annotated[str, Field(min_length=1, max_length=200)]
OBSERVED = " (observed)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DaySpec(_Strict):
    """One day's hours with what a caller should hear about them: ``note`` ("emergencies
    only") is said after the hours; ``appointments: false`` keeps the day open (calls,
    walk-ins) but a ``business_hours`` ask takes no time on it."""

    open: DayRange = "closed"
    note: Note | None = None
    appointments: bool = True


class SpecialDay(DaySpec):
    """A holiday or exceptional day: ``date``, or ``from`` .. ``to`` (inclusive); closed
    unless ``open`` gives its hours. Wins over the weekday and public holidays."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    date: dt.date | None = None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _one_day_or_a_range(self) -> SpecialDay:
        if self.date is not None and (self.from_ is not None or self.to is not None):
            raise ValueError("give either 'date' or 'from' and 'to', not both")
        if self.date is None and (self.from_ is None or self.to is None):
            raise ValueError("a special day needs 'date', or 'from' and 'to'")
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self

    @property
    def first(self) -> dt.date:
        return self.date or self.from_  # type: ignore[return-value]  # checked above

    @property
    def last(self) -> dt.date:
        return self.date or self.to  # type: ignore[return-value]

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


class PublicHolidays(_Strict):
    """Closed on the public holidays of ``country`` (default: the tenant's country) and
    ``subdivision`` (a state or region code, e.g. NY), or only on those named in ``only``."""

    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = None
    subdivision: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    only: tuple[Annotated[str, Field(min_length=1)], ...] | None = None


HolidayLookup = Callable[[dt.date], str | None]


def holiday_lookup(spec: PublicHolidays, country: str) -> HolidayLookup:
    """The name of the public holiday on a date (None: a working day) for ``spec``, in
    ``country`` unless ``spec`` names one. Raises ValueError for a country, subdivision
    or holiday name the ``holidays`` package does not know."""
    calendar = _calendar((spec.country or country).upper(), spec.subdivision)
    wanted = None if spec.only is None else frozenset(spec.only)
    if wanted is not None:
        known = known_names(calendar)
        for name in wanted:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                listed = ", ".join(sorted(known))
                raise ValueError(f"no public holiday is called {name!r}{hint}; known: {listed}")

    def lookup(day: dt.date) -> str | None:
        names = [n.strip() for n in (calendar.get(day) or "").split(";") if n.strip()]
        if wanted is not None:
            names = [n for n in names if n.removesuffix(OBSERVED) in wanted]
        return names[0] if names else None

    return lookup


def _calendar(country: str, subdivision: str | None) -> holiday_data.HolidayBase:
    try:
        return holiday_data.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as e:  # an unknown country or subdivision
        raise ValueError(f"public holidays of {country!r}: {e}") from e


@cache
def _names(country: str, subdivision: str | None, year: int) -> frozenset[str]:
    calendar = holiday_data.country_holidays(
        country, subdiv=subdivision, years=range(year, year + 3)
    )
    return frozenset(
        n.strip().removesuffix(OBSERVED) for names in calendar.values() for n in names.split(";")
    )


def known_names(calendar: holiday_data.HolidayBase) -> frozenset[str]:
    """The holiday names of ``calendar``'s country over this year and the next two."""
    country = str(getattr(calendar, "country", ""))
    subdivision = getattr(calendar, "subdiv", None)
    return _names(country, subdivision, dt.date.today().year)
