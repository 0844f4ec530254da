"""One turn of a call, one type from the recorder to the store's row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .vocabulary import Speaker


@dataclass(frozen=True)
class TurnRecord:
    """Who said what, when, and how it was heard. The recorder numbers the call's turns
    (``seq``: 0 until then) and spools them; the store writes them as turn rows."""

    speaker: Speaker
    text: str
    started_at: datetime
    ended_at: datetime | None = None
    stt_confidence: float | None = None
    interrupted: bool = False
    latency: Mapping[str, float] = field(default_factory=dict)
    identity: str | None = None  # the participant who spoke, where several may
    seq: int = 0
