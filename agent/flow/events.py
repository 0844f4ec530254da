"""What the flow machine reports as a call goes: node entered, slot set, transition
taken, reprompt, global intent, ended. Sent in order to an :class:`EventSink` (the call
recorder; :class:`ListSink` in tests and the simulator), and asserted by scenarios."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from .model import GlobalIntentName, NodeKind

TransitionReason = Literal["next", "matched", "retries_exhausted", "no_input", "global_intent"]
RepromptReason = Literal["no_match", "no_input"]


@dataclass(frozen=True, kw_only=True)
class NodeEntered:
    node: str
    kind: NodeKind
    at: datetime


@dataclass(frozen=True, kw_only=True)
class SlotSet:
    slot: str
    value: str
    raw_text: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class TransitionTaken:
    from_node: str
    to_node: str
    reason: TransitionReason
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Reprompt:
    node: str
    attempt: int
    reason: RepromptReason
    at: datetime


@dataclass(frozen=True, kw_only=True)
class GlobalIntent:
    name: GlobalIntentName
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Ended:
    node: str
    at: datetime


FlowEvent = NodeEntered | SlotSet | TransitionTaken | Reprompt | GlobalIntent | Ended


class EventSink(Protocol):
    """Receives every event the machine emits, in order (e.g. the call recorder)."""

    def emit(self, event: FlowEvent) -> None: ...


class ListSink:
    """An :class:`EventSink` that keeps the events in a list (for tests and the simulator)."""

    def __init__(self) -> None:
        self.events: list[FlowEvent] = []

    def emit(self, event: FlowEvent) -> None:
        self.events.append(event)
