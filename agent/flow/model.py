"""The flow graph as pydantic models: the boundary between YAML files and the engine.

A flow is a set of named nodes (``say``, ``ask``, ``end``, told apart by ``kind``) and a
start node. ``ask`` nodes fill a typed slot and leave through ordered transitions whose
``when`` is a condition (:mod:`.conditions`: ``always``, ``{slot_equals: hours}``,
``{if: "slots.party_size > 8"}``, ...). New node kinds and conditions join their unions
without changing existing files.

Every model forbids unknown fields, so a typo is an error, not a silently ignored key.
Cross-node checks (targets exist, templates are valid, ...) live in :mod:`.load`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .conditions import (
    Condition,
    Identifier,
    IntentCondition,
    IntentSpec,
    Keyword,
    OwnSlotEquals,
    SlotEquals,
    SlotName,
)
from .model_base import (
    AskType,
    Exit,
    ListeningNode,
    Loc,
    NodeBase,
    NodeId,
    Phrase,
    Template,
    Transition,
    TransitionReason,
    YesNo,
    _Model,
    transition_reason,
)
from .model_tasks import (
    AnswerNode,
    ClarifyNode,
    HandoffNode,
    LeadGateNode,
    LlmNode,
    LlmTool,
    Question,
    QuestionsNode,
    ToolParameter,
)

__all__ = [
    "LISTENING_KINDS",
    "AnswerNode",
    "AnyNode",
    "AskNode",
    "AskType",
    "ClarifyNode",
    "EndNode",
    "Exit",
    "Flow",
    "FlowId",
    "GlobalIntentName",
    "GlobalIntents",
    "HandoffNode",
    "LeadGateNode",
    "ListeningAnyNode",
    "LlmNode",
    "LlmTool",
    "Node",
    "NodeId",
    "NodeKind",
    "Question",
    "QuestionsNode",
    "SayNode",
    "ToolParameter",
    "Transition",
    "TransitionReason",
    "YesNo",
    "flow_json_schema",
]

FlowId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^\+?[1-9][0-9]{0,2}$")]  # "44", "+1"
ChoiceValue = Annotated[str, StringConstraints(min_length=1, max_length=64)]
NodeKind = Literal[
    "say", "ask", "end", "lead_gate", "answer", "clarify", "handoff", "llm", "questions"
]


OUTSIDE_HOURS = "What other day or time would suit you?"
_TYPE_OPTIONS = (
    ("min", AskType.NUMBER),
    ("max", AskType.NUMBER),
    ("earliest_hour", AskType.DATETIME),
    ("business_hours", AskType.DATETIME),
    ("outside_hours", AskType.DATETIME),
    ("default_country_code", AskType.PHONE),
)


# --- nodes ------------------------------------------------------------------------------


class SayNode(NodeBase):
    """Speak ``text``, then continue at ``next``."""

    kind: Literal["say"]
    text: Template
    next: NodeId

    def templates(self) -> list[tuple[Loc, str]]:
        return [(("text",), self.text)]

    def exits(self) -> list[Exit]:
        return [Exit(("next",), self.next, "next")]


class AskNode(ListeningNode):
    """Ask for a typed slot, reprompt on no match or silence, then leave by a transition.

    ``choice`` and ``yes_no`` asks match phrases; the other types are read by the
    extractors of :mod:`.slots`, tuned by the options of their type: ``min``/``max``
    (number), ``earliest_hour`` (datetime: an hour below it without am/pm is pm),
    ``business_hours`` (datetime: only a time when the tenant is open; another is
    answered with when it is open, then ``outside_hours``) and ``default_country_code``
    (phone, else the flow's). A choice answer that fits several
    choices equally goes to the ``clarify`` node when one is given (else the first)."""

    kind: Literal["ask"]
    prompt: Template
    slot: SlotName
    type: AskType
    choices: dict[ChoiceValue, tuple[Phrase, ...]] = Field(default_factory=dict)
    choices_from: Literal["services"] | None = Field(
        default=None,
        description="choice: offer the tenant's services (tenant.yaml `services`) as the "
        "choices; the slot holds the service's id, templates say its name",
    )
    min: float | None = None
    max: float | None = None
    earliest_hour: int | None = Field(default=None, ge=1, le=12)
    business_hours: bool | None = Field(
        default=None, description="datetime: take only a time when the tenant is open"
    )
    outside_hours: Template | None = Field(
        default=None,
        description="datetime with business_hours: asked after saying when the tenant is "
        f"open (default: {OUTSIDE_HOURS!r})",
    )
    default_country_code: CountryCode | None = None
    clarify: NodeId | None = None
    transitions: tuple[Transition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _choices_match_type(self) -> AskNode:
        if self.choices_from is not None and self.choices:
            raise ValueError("give 'choices' or 'choices_from', not both")
        if self.type is AskType.CHOICE and not self.choices and self.choices_from is None:
            raise ValueError("an ask of type 'choice' needs 'choices' (or 'choices_from')")
        if self.type is not AskType.CHOICE and (self.choices or self.choices_from):
            field = "choices" if self.choices else "choices_from"
            raise ValueError(f"{field!r} only applies to type 'choice', not {self.type.value!r}")
        empty = [value for value, phrases in self.choices.items() if not phrases]
        if empty:
            raise ValueError(f"choice {empty[0]!r} needs at least one example phrase")
        return self

    @model_validator(mode="after")
    def _options_match_type(self) -> AskNode:
        for option, applies_to in _TYPE_OPTIONS:
            if getattr(self, option) is not None and self.type is not applies_to:
                raise ValueError(f"{option!r} only applies to type {applies_to.value!r}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min:g}) is above 'max' ({self.max:g})")
        if self.outside_hours is not None and not self.business_hours:
            raise ValueError("'outside_hours' needs 'business_hours: true'")
        if self.clarify is not None and self.type is not AskType.CHOICE:
            raise ValueError("'clarify' only applies to type 'choice' (ambiguous choices)")
        return self

    def templates(self) -> list[tuple[Loc, str]]:
        found = [(("prompt",), self.prompt), *self._reprompt_templates()]
        if self.outside_hours is not None:
            found.append((("outside_hours",), self.outside_hours))
        return found

    @property
    def another_time(self) -> str:
        """What a ``business_hours`` ask asks after a time when the tenant is closed."""
        return self.outside_hours or OUTSIDE_HOURS

    def exits(self) -> list[Exit]:
        filled = frozenset({self.slot})
        found = [
            Exit(
                ("transitions", i, "to"),
                t.to,
                reason,
                filled if reason == "matched" else frozenset(),
            )
            for i, t in enumerate(self.transitions)
            for reason in [transition_reason(t.when)]
        ]
        if self.clarify is not None:
            found.append(Exit(("clarify",), self.clarify, "clarify"))
        return found

    def declares(self) -> frozenset[str]:
        return frozenset({self.slot})

    def _fills(self, reason: TransitionReason) -> frozenset[str]:
        return frozenset({self.slot}) if reason == "matched" else frozenset()

    @property
    def extracted(self) -> bool:
        """Whether an extractor reads the answer (not a choice or yes/no)."""
        return self.type not in (AskType.CHOICE, AskType.YES_NO)

    @property
    def open_answers(self) -> bool:
        """Whether the answers cannot be listed when the flow loads (typed answers, and
        choices that come from the tenant): such an ask needs an ``always`` transition."""
        return self.extracted or self.choices_from is not None

    def spoken_choice(self, value: str) -> str:
        """How a choice is said back: a tenant's service by its name, else its value."""
        phrases = self.choices.get(value) if self.choices_from is not None else None
        return phrases[0] if phrases else value

    def answers(self) -> tuple[str, ...]:
        """Every value this ask can fill its slot with (() when they cannot be listed)."""
        if self.type is AskType.CHOICE:
            return tuple(self.choices)
        return tuple(YesNo) if self.type is AskType.YES_NO else ()

    def condition_problem(self, condition: Condition, slots: frozenset[str]) -> str:
        """Why ``condition`` can never hold on this ask ("" if it can), given the flow's
        declared ``slots``: a yes/no on another type, an answer it cannot give.
        Expressions are checked by the loader, which knows the tenant fields."""
        answers = self.answers()
        unknown = "{!r} is not an answer of slot {!r} (" + ", ".join(answers) + ")"
        typed = f"on an ask of type {self.type.value!r}, use always or {{if: EXPRESSION}}"
        match condition:
            case IntentCondition():
                return ""
            case Keyword.YES | Keyword.NO if self.type is not AskType.YES_NO:
                return f"{condition.value!r} only applies to asks of type yes_no"
            case OwnSlotEquals() if self.extracted:
                return typed
            case SlotEquals(slot=slot) if slot == self.slot and self.extracted:
                return typed
            case OwnSlotEquals() | SlotEquals() if self.choices_from is not None:
                return ""  # the tenant's services: not known until a tenant runs the flow
            case OwnSlotEquals(slot_equals=value) if value not in answers:
                return unknown.format(value, self.slot)
            case SlotEquals(slot=slot, equals=value) if slot == self.slot and value not in answers:
                return unknown.format(value, self.slot)
            case SlotEquals(slot=slot) if slot not in slots:
                return f"slot {slot!r} is not filled by any ask node"
        return ""

    def reprompt(self, attempt: int) -> str:
        """The template for reprompt number ``attempt`` (1-based): cycles, else the prompt."""
        return self.reprompt_for(attempt, self.prompt)


class EndNode(NodeBase):
    """Speak ``text``, then end the call (the agent leaves the room; on SIP, hangs up)."""

    kind: Literal["end"]
    text: Template

    def templates(self) -> list[tuple[Loc, str]]:
        return [(("text",), self.text)]


AnyNode = (
    SayNode
    | AskNode
    | EndNode
    | LeadGateNode
    | AnswerNode
    | ClarifyNode
    | HandoffNode
    | LlmNode
    | QuestionsNode
)
Node = Annotated[AnyNode, Field(discriminator="kind")]
LISTENING_KINDS = (AskNode, LeadGateNode, AnswerNode, ClarifyNode, LlmNode, QuestionsNode)
ListeningAnyNode = AskNode | LeadGateNode | AnswerNode | ClarifyNode | LlmNode | QuestionsNode


# --- global intents ---------------------------------------------------------------------


class GlobalIntentName(StrEnum):
    """Intents recognised on every user turn, before the current node's matcher."""

    GOODBYE = "goodbye"
    HUMAN = "human"
    REPEAT = "repeat"


DEFAULT_GOODBYE = ("goodbye", "bye", "bye bye", "hang up", "talk to you later")
DEFAULT_REPEAT = (
    "repeat",
    "say that again",
    "come again",
    "pardon",
    "what did you say",
    "one more time",
)


class GoodbyeIntent(_Model):
    """The caller wants to leave: go to the ``end`` node ``to``."""

    to: NodeId
    examples: tuple[Phrase, ...] = Field(default=DEFAULT_GOODBYE, min_length=1)


DEFAULT_HUMAN = (  # requests, not nouns: "the manager signs it off" is an answer
    "a human",
    "a real person",
    "speak to a person",
    "talk to a person",
    "speak to someone",
    "talk to someone",
    "speak to somebody",
    "talk to somebody",
    "operator",
    "representative",
    "customer service",
    "put me through",
    "speak to the manager",
    "talk to the manager",
    "want the manager",
    "get me the manager",
    "member of staff",
)


class HumanIntent(_Model):
    """The caller asks for a person: go to ``to`` (usually a ``handoff`` node)."""

    to: NodeId
    examples: tuple[Phrase, ...] = Field(default=DEFAULT_HUMAN, min_length=1)


class RepeatIntent(_Model):
    """The caller did not catch the last turn: say it again and listen again."""

    examples: tuple[Phrase, ...] = Field(default=DEFAULT_REPEAT, min_length=1)


class GlobalIntents(_Model):
    """Intents recognised from any listening node, before its own matching. ``goodbye``
    and ``human`` are off unless given a target; ``repeat: null`` turns repeat off; a
    flow overrides the example phrases by listing its own."""

    goodbye: GoodbyeIntent | None = None
    human: HumanIntent | None = None
    repeat: RepeatIntent | None = RepeatIntent()

    def targets(self) -> list[tuple[Loc, str]]:
        """Where the enabled intents lead, with their fields."""
        found: list[tuple[Loc, str]] = []
        if self.goodbye is not None:
            found.append((("globals", "goodbye", "to"), self.goodbye.to))
        if self.human is not None:
            found.append((("globals", "human", "to"), self.human.to))
        return found

    def examples(self) -> tuple[tuple[GlobalIntentName, tuple[str, ...]], ...]:
        """The enabled intents with their phrases, in the order they are checked."""
        found: list[tuple[GlobalIntentName, tuple[str, ...]]] = []
        if self.goodbye is not None:
            found.append((GlobalIntentName.GOODBYE, self.goodbye.examples))
        if self.human is not None:
            found.append((GlobalIntentName.HUMAN, self.human.examples))
        if self.repeat is not None:
            found.append((GlobalIntentName.REPEAT, self.repeat.examples))
        return tuple(found)


# --- the flow ---------------------------------------------------------------------------


class Flow(_Model):
    """A validated flow graph (load it with :func:`agent.flow.load.load_flow`)."""

    version: Literal[1]
    id: FlowId
    description: str = ""
    start: NodeId
    nodes: dict[NodeId, Node] = Field(min_length=1)
    globals: GlobalIntents = GlobalIntents()
    intents: dict[Identifier, IntentSpec] = Field(
        default_factory=dict, description="Named intents, used as {intent: NAME}."
    )
    default_country_code: CountryCode | None = None  # for phone asks without their own

    def declared_slots(self) -> frozenset[str]:
        """The slot names some node fills (asks, lead gates, questions, llm tools)."""
        return frozenset(slot for node in self.nodes.values() for slot in node.declares())

    def uses_llm(self) -> tuple[str, ...]:
        """The ``llm`` nodes, which need an LLM to run."""
        return tuple(node_id for node_id, n in self.nodes.items() if isinstance(n, LlmNode))

    def uses_knowledge(self) -> tuple[str, ...]:
        """The ``answer`` nodes, which need the tenant's knowledge base."""
        return tuple(node_id for node_id, n in self.nodes.items() if isinstance(n, AnswerNode))


def flow_json_schema() -> dict[str, object]:
    """The JSON Schema of a flow file, for editors and CI."""
    schema = Flow.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
