"""A stored call as the store gives it back: what the post-call pipeline knows about it.

:class:`CallFacts` is built by :func:`agent.store.postcall.load_call_facts` from the
call's row, its turns and its flow events (slots set, nodes entered, handoffs,
consents), so the pipeline can be replayed for any stored call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .vocabulary import CallStatus, Source, Speaker


@dataclass(frozen=True, kw_only=True)
class TurnFact:
    speaker: Speaker
    text: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CallFacts:
    id: str
    tenant: str
    source: Source
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: float | None = None
    status: CallStatus = "completed"
    caller: str | None = None  # number (SIP) or identity
    caller_number: str | None = None
    called_number: str | None = None  # SIP: the number dialled
    campaign: str | None = None
    flow_id: str | None = None
    end_node: str | None = None
    turns: tuple[TurnFact, ...] = ()
    slots: Mapping[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    handoff_requested: bool = False
    consent: bool | None = None  # the caller's latest consent answer (lead gate), if asked

    @property
    def caller_turns(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.turns if t.speaker == "caller" and t.text.strip())

    @property
    def is_meeting(self) -> bool:
        return self.source == "meeting"

    def transcript(self) -> str:
        return "\n".join(f"{t.speaker}: {t.text}" for t in self.turns)
