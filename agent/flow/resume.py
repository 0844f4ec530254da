"""Where a call was, rebuilt from its stored records, so a new job can go on with it.

A worker that dies mid-call leaves its call's records in the store (the recorder writes
each flow event and turn as it happens). :func:`rebuild_state` reads them back into a
:class:`~.state.FlowState`: the node the call was at (the last ``NodeEntered``), the path
and visits, the slots with how they are said (``SlotSet``, ``SlotCleared``), and the
recent turns. What lived only inside a node (a lead gate's step, a pending clarification,
retry counters) starts afresh: the resumed call asks the node's question again.

:meth:`~.machine.FlowMachine.resume` then says :data:`RESUME_LINE` and that question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import FlowRuntimeError
from ..record.events import EventType
from ..record.vocabulary import Speaker
from .model import LISTENING_KINDS, ClarifyNode, Flow
from .state import HISTORY_TURNS, FlowState

RESUME_LINE = "Sorry about that, where were we:"


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed call goes on: its rebuilt state, and when its last record was
    stored (the :class:`~.events.CallResumed` event reports it)."""

    state: FlowState
    last_record_at: datetime | None = None


@dataclass(frozen=True)
class StoredEvent:
    """A flow event as the store holds it: its class name, fields and time."""

    type: str
    payload: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True)
class StoredTurn:
    speaker: Speaker
    text: str


def rebuild_state(
    flow: Flow,
    events: Sequence[StoredEvent],
    turns: Sequence[StoredTurn],
    *,
    started_at: datetime,
) -> FlowState:
    """The state the call had after its last stored event. Raises FlowRuntimeError when
    the records show no node to go on at (the call never started, or it ended)."""
    path: list[str] = []
    slots: dict[str, str] = {}
    spoken: dict[str, str] = {}
    for event in events:
        p = event.payload
        if event.type == EventType.ENDED:
            raise FlowRuntimeError(f"flow {flow.id!r}: the call ended at {p.get('node')!r}")
        if event.type == EventType.NODE_ENTERED and str(p.get("node")) in flow.nodes:
            path.append(str(p["node"]))
        elif event.type == EventType.SLOT_SET:
            slot, value = str(p.get("slot")), str(p.get("value"))
            slots[slot], spoken[slot] = value, str(p.get("spoken") or value)
        elif event.type == EventType.SLOT_CLEARED:
            slots.pop(str(p.get("slot")), None)
            spoken.pop(str(p.get("slot")), None)
    current = _resumable(flow, path)
    visits: dict[str, int] = {}
    for node in path:
        visits[node] = visits.get(node, 0) + 1
    history = tuple((_role(t.speaker), t.text) for t in turns if t.text)
    return FlowState(
        current=current,
        path=tuple(path),
        slots=slots,
        spoken=spoken,
        started_at=started_at,
        visits=visits,
        heard=tuple(t.text for t in turns if t.speaker == "caller" and t.text),
        history=history[-HISTORY_TURNS:],
    )


def _resumable(flow: Flow, path: Sequence[str]) -> str:
    """The last node entered that waits for the caller; a clarify node hands back to the
    node it was asking about (its question is asked again)."""
    for node_id in reversed(path):
        node = flow.nodes[node_id]
        if isinstance(node, LISTENING_KINDS) and not isinstance(node, ClarifyNode):
            return node_id
    raise FlowRuntimeError(f"flow {flow.id!r}: no node waiting for the caller was recorded")


def _role(speaker: str) -> str:
    return "user" if speaker == "caller" else "agent"
