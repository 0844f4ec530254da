"""What the caller's words mean to the ask that is listening, and the facts conditions read.

:func:`read_answer` turns an utterance into an :class:`Answer`: phrases for ``choice``
and ``yes_no`` (:mod:`.match`), an extractor of :mod:`.slots` for the other types.

A slot is kept in two forms. ``FlowState.slots`` holds its *value* as a string: the
choice, ``yes``/``no``, a number ("6", "2.5"), a date and time in ISO 8601 with the
tenant's offset ("2025-03-07T19:00:00+00:00"), an email address, an E.164 phone number,
a name or the text said. Conditions, events, scenarios and call reports read values.
``FlowState.spoken`` holds how to say it back ("Friday the 7th at 7 pm", "plus 4 4 7 9
..."), and templates render ``{{ slots.when }}`` in that spoken form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo

from ..expr import Env
from .match import match_choice, match_yes_no
from .model import AskNode, AskType, Flow
from .slots import EXTRACTORS, SlotContext
from .templates import TenantInfo


@dataclass(frozen=True)
class Answer:
    """A slot's ``value`` (kept in ``FlowState.slots``) and how to say it (``spoken``)."""

    value: str
    spoken: str


def read_answer(ask: AskNode, text: str, ctx: SlotContext) -> Answer | None:
    """What ``text`` fills ``ask``'s slot with, or None if it holds no such answer."""
    match ask.type:
        case AskType.CHOICE:
            choice = match_choice(text, ask.choices)
            return None if choice is None else Answer(choice, ask.spoken_choice(choice))
        case AskType.YES_NO:
            answer = match_yes_no(text)
            return None if answer is None else Answer(answer.value, answer.value)
        case _:
            found = EXTRACTORS[ask.type](text, ctx)
            return None if found is None else Answer(value_text(found.value), found.display)


def value_text(value: str | int | float | datetime) -> str:
    """A typed slot value as the string kept in the slots (datetimes in ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def slot_context(
    ask: AskNode,
    flow: Flow,
    *,
    now: datetime,
    timezone: tzinfo,
    country_code: str | None = None,
) -> SlotContext:
    """What the extractor of ``ask`` needs beyond the words, from the ask, the tenant
    and the flow. A phone number without its country code is read in the ask's
    ``default_country_code``, else the tenant's country's (``country_code``), else the
    flow's ``default_country_code``."""
    country = ask.default_country_code or country_code or flow.default_country_code
    return SlotContext(
        now=now,
        timezone=timezone,
        default_country_code=country,
        min_value=ask.min,
        max_value=ask.max,
        earliest_hour=ask.earliest_hour or SlotContext.earliest_hour,  # else its default
    )


def condition_env(
    slots: Mapping[str, str], *, started: datetime | None, now: datetime, tenant: TenantInfo
) -> Env:
    """The variables expressions read: ``slots.*``, ``call.seconds`` (since ``started``,
    the call's first turn, until ``now``) and ``tenant.*``."""
    seconds = (now - started).total_seconds() if started is not None else 0.0
    return {"slots": slots, "call": {"seconds": seconds}, "tenant": asdict(tenant)}
