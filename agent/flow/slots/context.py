"""What every slot extractor shares: the value it returns (:class:`SlotValue`), what it
needs to know beyond the words (:class:`SlotContext`), and its signature
(:class:`Extractor`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol


@dataclass(frozen=True)
class SlotValue:
    """A slot's typed value, and how to say it back ("Friday the 14th at 7 pm")."""

    value: str | int | float | datetime
    display: str


@dataclass(frozen=True, kw_only=True)
class SlotContext:
    """What extraction needs to know beyond the words.

    ``now`` is timezone-aware; dates are read in ``timezone`` (the tenant's).
    ``default_country_code`` ("44", "+1") turns national phone numbers into E.164.
    ``min_value``/``max_value`` bound numbers; ``earliest_hour`` decides am/pm
    (see :mod:`.datetimes`)."""

    now: datetime
    timezone: tzinfo = UTC
    default_country_code: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    earliest_hour: int = 7

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("SlotContext.now must be timezone-aware")
        code = self.default_country_code
        if code is not None and not re.fullmatch(r"\+?[1-9]\d{0,2}", code):
            raise ValueError(f"invalid default country code {code!r} (e.g. '44' or '+1')")
        if not 1 <= self.earliest_hour <= 12:
            raise ValueError(f"earliest_hour must be 1-12, not {self.earliest_hour}")
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and low > high:
            raise ValueError("min_value is above max_value")

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.timezone)


class Extractor(Protocol):
    """Reads one slot type from an utterance: a value, or None if there is none."""

    def __call__(self, text: str, ctx: SlotContext, /) -> SlotValue | None: ...
