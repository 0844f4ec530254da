"""What the flow machine reports as a call goes: node entered, slot set, transition
taken (and why), reprompt, global intent, knowledge answered, consent recorded, handoff
requested, call transferred, LLM assistance failed, call resumed (after its job died),
ended. Sent in order to an :class:`EventSink` (the call recorder; :class:`ListSink` in
tests and the simulator), and asserted by scenarios.

Events are frozen dataclasses of plain values (str, int, float, bool, datetime and
mappings of str), so a sink can store any of them generically by class name; that name
is the event's :class:`~agent.record.events.EventType` (:data:`EVENT_TYPES`), by which
the store and a resumed call read it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args

from ..record.events import EventType
from .model import GlobalIntentName, NodeKind
from .model_base import TransitionReason

__all__ = ["TransitionReason"]

RepromptReason = Literal["no_match", "no_input", "unsure", "outside_hours"]


@dataclass(frozen=True, kw_only=True)
class NodeEntered:
    node: str
    kind: NodeKind
    at: datetime


@dataclass(frozen=True, kw_only=True)
class SlotSet:
    """``spoken``: how templates say the value back (kept so a resumed call says it alike)."""

    slot: str
    value: str
    raw_text: str
    at: datetime
    spoken: str = ""


@dataclass(frozen=True, kw_only=True)
class SlotCleared:
    """A slot's value was dropped: the caller declined consent to keep it (lead gate)."""

    slot: str
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class TransitionTaken:
    """``by_llm``: the LLM chose it (LLM-assisted mode), no deterministic matcher did."""

    from_node: str
    to_node: str
    reason: TransitionReason
    at: datetime
    by_llm: bool = False


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


@dataclass(frozen=True, kw_only=True)
class KnowledgeAnswered:
    """An answer node searched the knowledge base; ``answered`` is False below threshold."""

    node: str
    question: str
    confidence: float
    answered: bool
    source: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ConsentRecorded:
    """A lead gate's consent question was answered: by whom (their email, if given), the
    exact words asked, and the answer."""

    node: str
    who: str
    wording: str
    granted: bool
    at: datetime


@dataclass(frozen=True, kw_only=True)
class HandoffRequested:
    """The call should go to a person: why, a summary for them, the slots so far."""

    node: str
    reason: str
    summary: str
    slots: Mapping[str, str]
    at: datetime


@dataclass(frozen=True, kw_only=True)
class HumanJoined:
    """A person (the tenant's staff) joined the call: the agent only listens now."""

    node: str
    identity: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class HandedBack:
    """The person left the call to the agent again; the flow resumes at ``to_node``."""

    node: str
    identity: str
    to_node: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class HandoffTimedOut:
    """Nobody took a waiting handoff within the tenant's wait time."""

    node: str
    waited_s: float
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CallTransferred:
    """A handoff node transferred a phone call to ``to`` (E.164): ``ok`` when the other
    phone answered and the caller left for it, else ``failed`` with the SIP status the
    transfer got (486 busy, 603 declined, ...; None when it failed without one) and why."""

    node: str
    to: str
    outcome: Literal["ok", "failed"]
    sip_status: int | None
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AssistFailed:
    """LLM-assisted mode: the LLM failed or timed out; the turn ran scripted."""

    node: str
    error: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CallResumed:
    """The call went on in a new job after its worker died (see :mod:`.resume`): at
    ``node``, with ``last_record_at`` the time of the last record stored before."""

    node: str
    last_record_at: datetime | None
    at: datetime


FlowEvent = (
    NodeEntered
    | SlotSet
    | SlotCleared
    | TransitionTaken
    | Reprompt
    | GlobalIntent
    | KnowledgeAnswered
    | ConsentRecorded
    | HandoffRequested
    | HumanJoined
    | HandedBack
    | HandoffTimedOut
    | CallTransferred
    | AssistFailed
    | CallResumed
    | Ended
)

# each event class's stored type; EventType(name) fails at import for a class it lacks
EVENT_TYPES: Mapping[type[FlowEvent], EventType] = {
    cls: EventType(cls.__name__) for cls in get_args(FlowEvent)
}


class EventSink(Protocol):
    """Receives every event the machine emits, in order (e.g. the call recorder)."""

    def emit(self, event: FlowEvent) -> None: ...


class ListSink:
    """An :class:`EventSink` that keeps the events in a list (for tests and the simulator)."""

    def __init__(self) -> None:
        self.events: list[FlowEvent] = []

    def emit(self, event: FlowEvent) -> None:
        self.events.append(event)
