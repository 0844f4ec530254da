"""Feed a livekit ``AgentSession`` into a :class:`CallRecorder`: each final caller
transcript and each committed agent message becomes a turn (the agent's with its
latency parts), and at the end the session's per-model usage becomes priced rows.

Caller turns come from ``user_input_transcribed``: the flow agent answers every caller
turn itself (``StopResponse``), so livekit never commits the caller's message to the
chat context and ``conversation_item_added`` carries only the agent's side."""

from __future__ import annotations

from datetime import UTC, datetime

from livekit.agents import (
    AgentSession,
    ChatMessage,
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
)

from .recorder import CallRecorder, TurnRecord

SPEAKERS = {"assistant": "agent"}
TIMES = ("started_speaking_at", "stopped_speaking_at")


def _at(epoch: object) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, int | float) and epoch else None


def turn_of(item: ChatMessage) -> TurnRecord | None:
    speaker, text = SPEAKERS.get(item.role), item.text_content
    if speaker is None or not text:
        return None
    metrics = dict(item.metrics)
    started = _at(metrics.get("started_speaking_at")) or _at(item.created_at)
    assert started is not None
    latency = {
        k: float(v) for k, v in metrics.items() if k not in TIMES and isinstance(v, int | float)
    }
    return TurnRecord(
        speaker=speaker,
        text=text,
        started_at=started,
        ended_at=_at(metrics.get("stopped_speaking_at")),
        stt_confidence=item.transcript_confidence,
        interrupted=item.interrupted,
        latency=latency,
    )


def attach_session(recorder: CallRecorder, session: AgentSession[None]) -> None:
    def on_item(ev: ConversationItemAddedEvent) -> None:
        if isinstance(ev.item, ChatMessage) and (turn := turn_of(ev.item)) is not None:
            recorder.add_turn(turn)

    def on_transcript(ev: UserInputTranscribedEvent) -> None:
        text = ev.transcript.strip()
        if ev.is_final and text:
            at = _at(ev.created_at) or datetime.now(UTC)
            recorder.add_turn(TurnRecord(speaker="caller", text=text, started_at=at, ended_at=at))

    session.on("conversation_item_added", on_item)
    session.on("user_input_transcribed", on_transcript)


def record_usage(recorder: CallRecorder, session: AgentSession[None]) -> None:
    """Add the session's usage so far, one row per provider/model."""
    now = datetime.now(UTC)
    for usage in session.usage.model_usage:
        kind = usage.type.removesuffix("_usage")
        if kind not in ("llm", "stt", "tts"):
            continue
        recorder.add_usage(
            kind=kind,
            provider=usage.provider or "unknown",
            model=usage.model or "unknown",
            at=now,
            tokens_in=int(getattr(usage, "input_tokens", 0)),
            tokens_out=int(getattr(usage, "output_tokens", 0)),
            audio_seconds=float(getattr(usage, "audio_duration", 0.0)),
            characters=int(getattr(usage, "characters_count", 0)),
        )
