"""The task node kinds: ``lead_gate``, ``answer``, ``clarify``, ``handoff``, ``llm`` and
``questions`` (``say``, ``ask`` and ``end`` are in :mod:`.model`).

Each is a pydantic model describing itself (templates, exits, slots) the way
:mod:`.model_base` says; the machine's handlers (:mod:`.handlers`) run them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .conditions import IntentCondition, Keyword, SlotName
from .model_base import (
    AskType,
    Exit,
    Identifier,
    ListeningNode,
    Loc,
    NodeBase,
    NodeId,
    Phrase,
    Template,
    Transition,
    _Model,
    transition_reason,
)

DEFAULT_EMAIL_PROMPT = "What is the best email address to reach you?"
DEFAULT_FOLLOWUP = "Is there anything else you would like to know?"
DEFAULT_UNKNOWN = "I'm sorry, I don't have that information."


def _word_transitions(node_id_field: str, transitions: tuple[Transition, ...]) -> None:
    """Task nodes read no slot of their own: their transitions must be intents, an
    ``{if: ...}``, ``{call_seconds_over: N}`` or ``always``-free conditions."""
    for t in transitions:
        if isinstance(t.when, Keyword):
            raise ValueError(
                f"{node_id_field} transitions take intents, {{if: ...}} or "
                f"{{call_seconds_over: N}}, not {t.when.value!r}"
            )


def _transition_exits(transitions: tuple[Transition, ...]) -> list[Exit]:
    return [
        Exit(("transitions", i, "to"), t.to, transition_reason(t.when))
        for i, t in enumerate(transitions)
    ]


class LeadGateNode(ListeningNode):
    """Ask for an email (unless already known), then for consent in ``consent`` wording.

    The consent is recorded (who, the exact wording spoken, when) whether given or not;
    refusing either question, or running out of retries, takes ``on_refusal``."""

    kind: Literal["lead_gate"]
    email_prompt: Template = DEFAULT_EMAIL_PROMPT
    consent: Template = Field(description="The consent question, recorded verbatim.")
    email_slot: SlotName = "email"
    consent_slot: SlotName = "consent"
    skip_known_email: bool = True
    on_consent: NodeId
    on_refusal: NodeId

    def templates(self) -> list[tuple[Loc, str]]:
        asks = [(("email_prompt",), self.email_prompt), (("consent",), self.consent)]
        return [*asks, *self._reprompt_templates()]

    def exits(self) -> list[Exit]:
        both = frozenset({self.email_slot, self.consent_slot})
        refused = frozenset({self.consent_slot})
        return [
            Exit(("on_consent",), self.on_consent, "consented", both),
            Exit(("on_refusal",), self.on_refusal, "refused", refused),
            Exit(("on_refusal",), self.on_refusal, "retries_exhausted", refused),
            Exit(("on_refusal",), self.on_refusal, "no_input", refused),
        ]

    def declares(self) -> frozenset[str]:
        return frozenset({self.email_slot, self.consent_slot})


class AnswerNode(ListeningNode):
    """Answer the caller's questions from the tenant's knowledge base until they are done.

    An answer below ``threshold`` confidence is never given: the node says ``unknown``
    instead, and after ``max_low_confidence`` of those it takes ``on_low_confidence``.
    "No", "that's all" and the like take ``done``; ``transitions`` (intents) are tried
    before searching, so "I'd like to order" can leave the questions behind."""

    kind: Literal["answer"]
    prompt: Template
    followup: Template = DEFAULT_FOLLOWUP
    unknown: Template = DEFAULT_UNKNOWN
    threshold: float | None = Field(default=None, ge=0, le=1)
    max_low_confidence: int = Field(default=2, ge=1, le=10)
    top_k: int = Field(default=3, ge=1, le=10)
    done: NodeId
    on_low_confidence: NodeId
    transitions: tuple[Transition, ...] = ()

    @model_validator(mode="after")
    def _word_conditions(self) -> AnswerNode:
        _word_transitions("answer node", self.transitions)
        return self

    def templates(self) -> list[tuple[Loc, str]]:
        own = [(("prompt",), self.prompt), (("followup",), self.followup)]
        return [*own, (("unknown",), self.unknown), *self._reprompt_templates()]

    def exits(self) -> list[Exit]:
        return [
            *_transition_exits(self.transitions),
            Exit(("done",), self.done, "done"),
            Exit(("done",), self.done, "no_input"),
            Exit(("on_low_confidence",), self.on_low_confidence, "low_confidence"),
        ]


class ClarifyNode(ListeningNode):
    """Ask a follow-up, then hand the reply back to the node that came here.

    An ask with ``clarify: NODE`` comes here when an answer fits several choices (the
    prompt may read ``{{ clarify.options }}``, "the carrot cake or the chocolate cake",
    and ``{{ clarify.heard }}``); an answer node comes here through ``on_low_confidence``.
    After ``max_visits`` visits in a call, or when its retries run out, it goes to
    ``otherwise`` instead, so a caller cannot be sent round in circles."""

    kind: Literal["clarify"]
    prompt: Template
    max_visits: int = Field(default=1, ge=1, le=5)
    otherwise: NodeId

    def templates(self) -> list[tuple[Loc, str]]:
        return [(("prompt",), self.prompt), *self._reprompt_templates()]

    def exits(self) -> list[Exit]:
        return [
            Exit(("otherwise",), self.otherwise, "retries_exhausted"),
            Exit(("otherwise",), self.otherwise, "no_input"),
        ]


DEFAULT_TRANSFER_FAILED = "I'm sorry, I couldn't put you through."
PhoneNumber = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164, e.g. +442071234567", examples=["+442071234567"]),
]


class HandoffNode(NodeBase):
    """Record a handoff request (reason, summary), tell the caller, continue at ``next``.

    With ``on_timeout`` the handoff waits for a person (the console's "take call"): the
    agent holds the call for the tenant's ``handoff.wait_s``; a person who joins talks
    with the caller while the agent only listens, and handing back continues at
    ``next``; nobody in time continues at ``on_timeout`` (take a message).

    With ``transfer_to`` (an E.164 number), a phone call is then transferred there (a
    cold transfer, SIP REFER) once ``text`` has played; if the transfer fails the caller
    hears ``transfer_failed`` and the call continues at ``next``. A web or meeting room
    has no phone line to transfer: there the node is an ordinary handoff."""

    kind: Literal["handoff"]
    text: Template
    reason: Template = "the caller asked for a person"
    summary: Template | None = Field(
        default=None, description="Defaults to the slots collected so far."
    )
    transfer_to: PhoneNumber | None = Field(
        default=None, description="Phone calls: transfer the caller to this number (E.164)."
    )
    transfer_failed: Template = Field(
        default=DEFAULT_TRANSFER_FAILED,
        description="Said when the transfer fails, before continuing at ``next``.",
    )
    next: NodeId
    on_timeout: NodeId | None = Field(
        default=None,
        description="Wait for a person to take the call; nobody within the tenant's "
        "handoff.wait_s continues here (next: where the flow resumes when handed back)",
    )

    def templates(self) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = [(("text",), self.text), (("reason",), self.reason)]
        if self.transfer_to:
            found.append((("transfer_failed",), self.transfer_failed))
        return found + ([(("summary",), self.summary)] if self.summary else [])

    def exits(self) -> list[Exit]:
        waits = self.on_timeout is not None
        found = [Exit(("next",), self.next, "handed_back" if waits else "next")]
        if self.on_timeout is not None:
            found.append(Exit(("on_timeout",), self.on_timeout, "handoff_timeout"))
        if self.transfer_to:
            found.append(Exit(("next",), self.next, "transfer_failed"))
        return found


class ToolParameter(_Model):
    """A parameter of an llm node's tool; its value fills the slot of the same name."""

    type: Literal["string", "number", "boolean"] = "string"
    description: str = ""
    required: bool = True


class LlmTool(_Model):
    """A function tool the LLM may call; calling it fills its parameters' slots, says
    ``say`` (if given) and goes to ``to``."""

    name: Identifier
    description: str = Field(min_length=1)
    parameters: dict[SlotName, ToolParameter] = Field(default_factory=dict)
    say: Template | None = None
    to: NodeId


class LlmNode(ListeningNode):
    """An open task: the LLM talks with the caller under ``instructions`` until it calls
    one of ``tools``. Needs an LLM: a flow with one is refused when none is configured.
    After ``max_turns`` caller turns, or when the LLM keeps failing, ``fallback``."""

    kind: Literal["llm"]
    instructions: str = Field(min_length=1)
    prompt: Template
    tools: tuple[LlmTool, ...] = Field(min_length=1)
    max_turns: int = Field(default=8, ge=1, le=50)
    fallback: NodeId

    @model_validator(mode="after")
    def _unique_tools(self) -> LlmNode:
        names = [tool.name for tool in self.tools]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise ValueError(f"tool {duplicate!r} is declared twice")
        return self

    def templates(self) -> list[tuple[Loc, str]]:
        says = [(("tools", i, "say"), t.say) for i, t in enumerate(self.tools) if t.say]
        return [(("prompt",), self.prompt), *says, *self._reprompt_templates()]

    def exits(self) -> list[Exit]:
        tools = [
            Exit(("tools", i, "to"), t.to, "tool", frozenset(t.parameters))
            for i, t in enumerate(self.tools)
        ]
        return [
            *tools,
            Exit(("fallback",), self.fallback, "retries_exhausted"),
            Exit(("fallback",), self.fallback, "no_input"),
        ]

    def declares(self) -> frozenset[str]:
        return frozenset(name for tool in self.tools for name in tool.parameters)


class Question(_Model):
    """One question of a set: its answer is stored under ``key``.

    It is skipped when ``key`` is already filled, or when something the caller said
    earlier in the call holds one of ``detect`` (that utterance becomes the answer). A
    short answer (fewer than ``follow_up_below_words`` words) gets ``follow_up`` once,
    whose answer is stored under ``<key>_follow_up``."""

    key: SlotName
    ask: Template
    type: AskType = AskType.TEXT
    detect: tuple[Phrase, ...] = ()
    follow_up: Template | None = None
    follow_up_below_words: int = Field(default=8, ge=1, le=100)

    @model_validator(mode="after")
    def _typed(self) -> Question:
        if self.type is AskType.CHOICE:
            raise ValueError("a question cannot be of type 'choice': use an ask node")
        return self

    @property
    def follow_up_key(self) -> str:
        return f"{self.key}_follow_up"


class QuestionsNode(ListeningNode):
    """An ordered question set (a meeting's discovery questions), then ``next``."""

    kind: Literal["questions"]
    intro: Template | None = None
    questions: tuple[Question, ...] = Field(min_length=1)
    next: NodeId

    @model_validator(mode="after")
    def _unique_keys(self) -> QuestionsNode:
        keys = [q.key for q in self.questions]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate is not None:
            raise ValueError(f"question key {duplicate!r} is used twice")
        return self

    def templates(self) -> list[tuple[Loc, str]]:
        found: list[tuple[Loc, str]] = [(("intro",), self.intro)] if self.intro else []
        for i, q in enumerate(self.questions):
            found.append((("questions", i, "ask"), q.ask))
            if q.follow_up:
                found.append((("questions", i, "follow_up"), q.follow_up))
        return found + self._reprompt_templates()

    def exits(self) -> list[Exit]:
        return [Exit(("next",), self.next, "next")]

    def declares(self) -> frozenset[str]:
        keys = {q.key for q in self.questions}
        return frozenset(keys | {q.follow_up_key for q in self.questions if q.follow_up})


__all__ = [
    "AnswerNode",
    "ClarifyNode",
    "HandoffNode",
    "IntentCondition",
    "LeadGateNode",
    "LlmNode",
    "LlmTool",
    "Question",
    "QuestionsNode",
    "ToolParameter",
]
