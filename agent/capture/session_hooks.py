"""Feed a livekit ``AgentSession`` into a :class:`CallRecorder`: each caller turn (with
its STT confidence and latency parts) and each committed agent message (with its own)
becomes a turn, and at the end the session's per-model usage becomes priced rows.

The flow agent answers every caller turn itself (``StopResponse``), so livekit never
commits the caller's message and ``conversation_item_added`` carries only the agent's
side. Caller turns are therefore handed over by the agent (:meth:`SessionCapture.caller_turn`,
the message livekit built at the end of the turn, metrics included). Final transcripts
that never became a turn (words said over an uninterruptible goodbye) are kept too, without
metrics, by :meth:`SessionCapture.flush` at the end of the call: nothing said is lost.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from livekit.agents import (
    AgentSession,
    ChatMessage,
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
)

from ..record.turn import TurnRecord
from ..record.vocabulary import Speaker
from ..store.usage import NewUsage
from .recorder import CallRecorder

TIMES = ("started_speaking_at", "stopped_speaking_at")


def _at(epoch: object) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, int | float) and epoch else None


def _latency(metrics: dict[str, object]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in metrics.items()
        if k not in TIMES and isinstance(v, int | float) and not isinstance(v, bool)
    }


def turn_of(item: ChatMessage, speaker: Speaker) -> TurnRecord | None:
    """The turn a chat message records, its latency parts taken from livekit's metrics:
    a caller's ``transcription_delay`` and ``end_of_turn_delay``, an agent's
    ``tts_node_ttfb`` and ``playback_latency`` (and ``e2e_latency`` when livekit knows
    the turn it answers)."""
    text = item.text_content
    if not text:
        return None
    metrics = dict(item.metrics)
    started = _at(metrics.get("started_speaking_at")) or _at(item.created_at)
    assert started is not None
    return TurnRecord(
        speaker=speaker,
        text=text,
        started_at=started,
        ended_at=_at(metrics.get("stopped_speaking_at")),
        stt_confidence=item.transcript_confidence if speaker == "caller" else None,
        interrupted=item.interrupted,
        latency=_latency(metrics),
    )


class SessionCapture:
    """Turns of one session into one recorder."""

    def __init__(self, recorder: CallRecorder) -> None:
        self._recorder = recorder
        # who said a caller turn, from its start and end (epoch seconds), where several
        # people may speak (a meeting's attendees: see agent.meetings.attendees)
        self.speaker_of: Callable[[float, float], str | None] | None = None
        self._pending: list[tuple[str, datetime]] = []  # finals not yet part of a turn
        self._answered: float | None = None  # when the caller's last turn stopped

    def attach(self, session: AgentSession[None]) -> None:
        session.on("conversation_item_added", self._on_item)
        session.on("user_input_transcribed", self._on_transcript)

    def caller_turn(self, message: ChatMessage) -> None:
        """Record a caller's completed turn (the message livekit built for it)."""
        self._pending.clear()  # the turn holds them
        turn = turn_of(message, "caller")
        if turn is None:
            return
        if self.speaker_of is not None:
            started = turn.started_at.timestamp()
            ended = turn.ended_at.timestamp() if turn.ended_at else time.time()
            turn = replace(turn, identity=self.speaker_of(started, ended))
        self._recorder.add_turn(turn)
        stopped = message.metrics.get("stopped_speaking_at")
        self._answered = float(stopped) if isinstance(stopped, int | float) else None

    def flush(self) -> None:
        """Record the final transcripts no caller turn took."""
        for text, at in self._pending:
            self._recorder.add_turn(TurnRecord(speaker="caller", text=text, started_at=at))
        self._pending.clear()

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if not isinstance(item, ChatMessage) or item.role != "assistant":
            return
        turn = turn_of(item, "agent")
        if turn is None:
            return
        started = item.metrics.get("started_speaking_at")
        latency = dict(turn.latency or {})
        if "e2e_latency" not in latency and self._answered and isinstance(started, int | float):
            # the agent's first words after the caller stopped: the delay the caller heard
            latency["e2e_latency"] = float(started) - self._answered
            turn = replace(turn, latency=latency)
        self._answered = None
        self._recorder.add_turn(turn)

    def _on_transcript(self, ev: UserInputTranscribedEvent) -> None:
        text = ev.transcript.strip()
        if ev.is_final and text:
            self._pending.append((text, _at(ev.created_at) or datetime.now(UTC)))


def session_usage(session: AgentSession[None], at: datetime) -> list[NewUsage]:
    """The session's usage so far, one entry per provider/model (STT, TTS, LLM)."""
    rows = []
    for usage in session.usage.model_usage:
        kind = usage.type.removesuffix("_usage")
        if kind not in ("llm", "stt", "tts"):
            continue
        rows.append(
            NewUsage(
                kind=kind,
                provider=usage.provider or "unknown",
                model=usage.model or "unknown",
                at=at,
                tokens_in=int(getattr(usage, "input_tokens", 0)),
                tokens_out=int(getattr(usage, "output_tokens", 0)),
                audio_seconds=float(getattr(usage, "audio_duration", 0.0)),
                characters=int(getattr(usage, "characters_count", 0)),
            )
        )
    return rows


def record_usage(recorder: CallRecorder, session: AgentSession[None]) -> None:
    """Add the session's usage so far, one row per provider/model."""
    for usage in session_usage(session, datetime.now(UTC)):
        recorder.add_usage(**dataclasses.asdict(usage))
