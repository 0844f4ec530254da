"""The conditions of an ask's transitions: the ``when`` of ``{when: ..., to: node}``.

A condition is a bare keyword (``always``, ``yes``, ``no``, ``retries_exhausted``,
``no_input``) or a mapping told apart by its key:

- ``{slot_equals: hours}``: this ask's slot was filled with ``hours``;
- ``{slot: topic, equals: hours}``: the named slot holds ``hours``;
- ``{if: "slots.party_size > 8"}``: an expression (:mod:`.expr`) over ``slots.<name>``,
  ``call.seconds`` (seconds since the call started) and ``tenant.<field>``, parsed when
  the flow loads;
- ``{call_seconds_over: 300}``: the call has lasted more than 300 seconds (sugar for
  ``{if: "call.seconds > 300"}``);
- ``{intent: order}``: the caller's words match the flow's intent ``order`` (declared
  under ``intents:``), or an inline one: ``{intent: {keywords: [order, buy]}}``. An intent
  has ``examples`` (phrases matched like choices), ``keywords`` (any one word), a
  ``regex`` (searched in the lower-cased words) and/or ``questions: true`` (any
  question, see :mod:`.questions`); any one of them matching is enough.

Intent conditions read the words themselves, so they are tried on every turn, before
the node reads an answer; the others (but the exits ``retries_exhausted`` and
``no_input``) are tried, in order, once the ask's slot is filled. New conditions join
:data:`Condition` without changing old files.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from ..expr import Expression, parse_expression

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
SlotName = Identifier  # slots are read in templates as ``slots.<name>``: identifiers only
EXPRESSION_ROOTS = frozenset({"slots", "call", "tenant"})
CALL_FIELDS = frozenset({"seconds"})


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Keyword(StrEnum):
    """Conditions written as a bare word, e.g. ``when: always``."""

    ALWAYS = "always"  # the slot was filled, whatever the answer
    YES = "yes"  # a yes_no answer was yes
    NO = "no"  # a yes_no answer was no
    RETRIES_EXHAUSTED = "retries_exhausted"  # no answer matched after max_retries reprompts
    NO_INPUT = "no_input"  # silent more than max_no_input times (else retries_exhausted)


class OwnSlotEquals(_Condition):
    """This ask's slot was filled with the given value: ``{slot_equals: hours}``."""

    slot_equals: str


class SlotEquals(_Condition):
    """A named slot holds the given value: ``{slot: topic, equals: hours}``."""

    slot: SlotName
    equals: str


class ExpressionCondition(_Condition):
    """An expression holds: ``{if: "slots.party_size > 8 and call.seconds < 600"}``.

    Its syntax is checked when the flow loads (a :class:`~.expr.ExpressionError` names
    the column); the loader checks that the slots and fields it reads exist."""

    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="if", min_length=1)

    @field_validator("source")
    @classmethod
    def _parses(cls, value: str) -> str:
        compiled(value)
        return value

    @property
    def expression(self) -> Expression:
        return compiled(self.source)


class CallSecondsOver(_Condition):
    """The call has lasted more than this many seconds: ``{call_seconds_over: 300}``."""

    call_seconds_over: float = Field(gt=0)


Phrase = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class IntentSpec(_Condition):
    """What the caller says to mean an intent: example phrases, keywords, a regex, or
    (``questions: true``) any question (:mod:`.questions`: "what do I do?", "can I park
    nearby?", "should I bring my card?", "I was wondering ...")."""

    examples: tuple[Phrase, ...] = ()
    keywords: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9' -]+$")], ...] = ()
    regex: str | None = None
    questions: bool = Field(
        default=False, description="Match any question or request for information."
    )

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as e:
                raise ValueError(f"invalid regex {value!r}: {e}") from e
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> IntentSpec:
        if not (self.examples or self.keywords or self.regex or self.questions):
            raise ValueError("an intent needs examples, keywords, a regex or questions: true")
        return self


class IntentCondition(_Condition):
    """The caller's words match an intent: ``{intent: order}`` names one of the flow's
    ``intents``; ``{intent: {examples: [...], keywords: [...], regex: ...}}`` is inline."""

    intent: Identifier | IntentSpec


@lru_cache(maxsize=1024)
def compiled(source: str) -> Expression:
    """``source`` parsed with the roots conditions may read (cached: parsed once)."""
    return parse_expression(source, roots=EXPRESSION_ROOTS)


_TAGS = (
    (OwnSlotEquals, "slot_equals"),
    (SlotEquals, "slot"),
    (ExpressionCondition, "if"),
    (CallSecondsOver, "call_seconds_over"),
    (IntentCondition, "intent"),
)


def _condition_tag(value: object) -> str | None:
    """Which kind of condition ``value`` is: a keyword, or the mapping's telling key."""
    if isinstance(value, str):
        return "keyword"
    for model, key in _TAGS:
        if isinstance(value, model) or (isinstance(value, dict) and key in value):
            return key
    return None


Condition = Annotated[
    Annotated[Keyword, Tag("keyword")]
    | Annotated[OwnSlotEquals, Tag("slot_equals")]
    | Annotated[SlotEquals, Tag("slot")]
    | Annotated[ExpressionCondition, Tag("if")]
    | Annotated[CallSecondsOver, Tag("call_seconds_over")]
    | Annotated[IntentCondition, Tag("intent")],
    Discriminator(
        _condition_tag,
        custom_error_type="invalid_condition",
        custom_error_message=(
            "unknown condition: use always, yes, no, retries_exhausted, no_input, "
            "{slot_equals: VALUE}, {slot: NAME, equals: VALUE}, {if: EXPRESSION} "
            "{call_seconds_over: SECONDS} or {intent: NAME}"
        ),
    ),
]
