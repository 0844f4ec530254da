"""What every node model shares: the base classes, field types, transitions and exits.

A node model describes itself to the loader, the checks, the coverage and the drawing
through three methods, so none of them needs to know every kind:

- ``templates()``: each template field, with its location, for the load-time checks;
- ``exits()``: each static way out (:class:`Exit`): where it goes, why it is taken (the
  :data:`TransitionReason` the machine reports) and the slots it has surely filled;
- ``declares()``: every slot the node may fill (what templates and conditions may read).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .conditions import Condition, Identifier, IntentCondition, Keyword

__all__ = ["Identifier"]

NodeId = Identifier
Template = Annotated[str, StringConstraints(min_length=1)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Loc = tuple[str | int, ...]

TransitionReason = Literal[
    "next",  # a say or handoff node's ``next``; a question set's end
    "matched",  # an ask's slot was filled and the transition's condition held
    "intent",  # the caller's words matched the transition's intent
    "retries_exhausted",  # nothing matched after the node's retries
    "no_input",  # the caller stayed silent too often
    "global_intent",  # goodbye or a human, from any node
    "clarify",  # an ask's answer was ambiguous: ask which was meant
    "returned",  # a clarify node hands the reply back to the node that asked
    "consented",  # a lead gate got consent
    "refused",  # a lead gate was refused (email or consent)
    "done",  # the caller has no more questions for an answer node
    "low_confidence",  # an answer node could not answer too often
    "tool",  # an llm node's tool call leads here
    "handed_back",  # a person who took the call handed it back (a waiting handoff's next)
    "handoff_timeout",  # nobody took a waiting handoff in the tenant's wait time
    "transfer_failed",  # a handoff node's phone transfer failed: its ``next``
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AskType(StrEnum):
    """What an ``ask`` node (or a question) collects: its slot's type."""

    TEXT = "text"
    YES_NO = "yes_no"
    CHOICE = "choice"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"


class YesNo(StrEnum):
    """The values a ``yes_no`` slot is filled with."""

    YES = "yes"
    NO = "no"


class Transition(_Model):
    """Go to ``to`` when ``when`` holds. A node's transitions are tried in order."""

    when: Condition
    to: NodeId

    @property
    def on_words(self) -> bool:
        """Whether the condition reads the caller's words (an intent), not a slot."""
        return isinstance(self.when, IntentCondition)


@dataclass(frozen=True)
class Exit:
    """A static way out of a node: the field naming it, target, reason, slots surely set."""

    field: Loc
    to: str
    reason: TransitionReason
    fills: frozenset[str] = frozenset()


def transition_reason(when: Condition) -> TransitionReason:
    """The reason the machine reports when it takes a transition with condition ``when``."""
    if when is Keyword.RETRIES_EXHAUSTED:
        return "retries_exhausted"
    if when is Keyword.NO_INPUT:
        return "no_input"
    return "intent" if isinstance(when, IntentCondition) else "matched"


class NodeBase(_Model):
    """Fields every node kind has."""

    requires_consent: bool = Field(
        default=False,
        description="Only reachable after a lead_gate got consent (checked by flow check).",
    )
    instructions: str | None = Field(
        default=None,
        description="LLM-assisted mode: how the LLM should phrase this node's replies.",
    )

    def templates(self) -> list[tuple[Loc, str]]:
        return []

    def exits(self) -> list[Exit]:
        return []

    def declares(self) -> frozenset[str]:
        return frozenset()


class ListeningNode(NodeBase):
    """A node that waits for the caller: reprompts, retries and a no-input timeout."""

    reprompts: tuple[Template, ...] = ()
    max_retries: int = Field(default=2, ge=0, le=10)
    max_no_input: int = Field(default=1, ge=0, le=10)
    no_input_timeout: float = Field(default=8.0, gt=0, le=120)

    def reprompt_for(self, attempt: int, prompt: str) -> str:
        """The template for reprompt number ``attempt`` (1-based): cycles, else ``prompt``."""
        if not self.reprompts:
            return prompt
        return self.reprompts[(attempt - 1) % len(self.reprompts)]

    def _reprompt_templates(self) -> list[tuple[Loc, str]]:
        return [(("reprompts", i), text) for i, text in enumerate(self.reprompts)]
