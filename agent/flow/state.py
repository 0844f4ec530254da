"""Where a call is in its flow: one immutable :class:`FlowState`, replaced per turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .actions import Say

HISTORY_TURNS = 8  # recent (role, text) pairs kept for LLM context


@dataclass(frozen=True)
class Clarifying:
    """Why a clarify node was entered: the node to hand the reply back to, what the
    caller said, and (after an ambiguous choice) the candidate values and how to say them."""

    return_to: str
    heard: str
    candidates: tuple[str, ...] = ()
    options: str = ""


@dataclass(frozen=True)
class FlowState:
    """Where a call is.

    - ``current``, ``path``: the node now and every node entered, in order;
    - ``slots``: values; ``spoken``: how templates say them (see :mod:`.answers`);
    - ``retries``, ``no_inputs``: failed and silent turns at the current node;
    - ``step``: progress inside the node (a lead gate's question, a question set's
      index), ``follow_up``: a question's follow-up is pending;
    - ``low_confidence``: answers an answer node could not give;
    - ``visits``: how often each node was entered (clarify limits);
    - ``clarifying``: set while a clarify node waits; ``pending_reason``: why the next
      handoff happens (a global "human" intent); ``which``: the topics an answer node
      asked the caller to choose between ("Do you mean X or Y?"), and the question;
    - ``heard``: everything the caller said; ``history``: recent turns, for the LLM;
    - ``transferring``: a handoff node waits for its phone transfer's outcome;
    - ``last_turn``: what the agent said last (for "repeat that")."""

    current: str
    path: tuple[str, ...] = ()
    slots: Mapping[str, str] = field(default_factory=dict)
    spoken: Mapping[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    retries: int = 0
    no_inputs: int = 0
    step: int = 0
    follow_up: bool = False
    low_confidence: int = 0
    llm_turns: int = 0
    visits: Mapping[str, int] = field(default_factory=dict)
    clarifying: Clarifying | None = None
    which: Clarifying | None = None
    pending_reason: str = ""
    heard: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    ended: bool = False
    transferring: bool = False
    last_prompt: str = ""
    last_turn: tuple[Say, ...] = ()
