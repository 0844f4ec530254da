"""Turns of a livekit session reach the store with what livekit measured: a caller's
STT confidence, transcription and end-of-turn delays; an agent's TTS and playback
latency, and the delay the caller heard between their last word and the agent's first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from livekit.agents import (
    AgentSession,
    ChatMessage,
    ConversationItemAddedEvent,
    UserInputTranscribedEvent,
)

from agent.capture.recorder import CallRecorder
from agent.capture.session_hooks import SessionCapture
from agent.store import Store
from agent.store.calls import NewCall
from agent.store.turns import list_turns
from agent.store.usage import load_prices
from tests.stores import sqlite_store

pytestmark = pytest.mark.unit

T0 = 1_780_000_000.0  # epoch seconds, as livekit's metrics carry them
CALL = NewCall(
    id="c1", tenant="t1", source="web", room="r", started_at=datetime.fromtimestamp(T0, UTC)
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with sqlite_store(tmp_path / "x.db", CALL) as store:
        yield store


def _final(session: AgentSession[None], text: str, at: float) -> None:
    session.emit(
        "user_input_transcribed",
        UserInputTranscribedEvent(transcript=text, is_final=True, created_at=at),
    )


def _agent_says(session: AgentSession[None], text: str, start: float, **metrics: float) -> None:
    message = ChatMessage(
        role="assistant",
        content=[text],
        metrics={"started_speaking_at": start, "stopped_speaking_at": start + 2, **metrics},  # type: ignore[typeddict-item]
    )
    session.emit("conversation_item_added", ConversationItemAddedEvent(item=message))


async def test_turns_carry_confidence_and_latency_parts(store: Store, tmp_path: Path) -> None:
    recorder = CallRecorder(store, CALL, data_dir=tmp_path, prices=load_prices())
    recorder.start()
    session: AgentSession[None] = AgentSession()
    capture = SessionCapture(recorder)
    capture.attach(session)

    _agent_says(session, "Hello, how can I help?", T0, tts_node_ttfb=0.12, playback_latency=0.03)
    _final(session, "opening", T0 + 3.9)
    _final(session, "hours", T0 + 4.3)
    turn = ChatMessage(
        role="user",
        content=["opening hours"],
        transcript_confidence=0.82,
        metrics={
            "started_speaking_at": T0 + 3.0,
            "stopped_speaking_at": T0 + 4.0,
            "transcription_delay": 0.25,
            "end_of_turn_delay": 0.55,
            "stt_metadata": {"model_provider": "pocketsphinx", "model_name": "en-us"},
        },
    )
    capture.caller_turn(turn)  # as the flow agent hands it over
    _agent_says(session, "We open at seven.", T0 + 4.9, tts_node_ttfb=0.2)
    _final(session, "bye then", T0 + 9.0)  # said over the goodbye: never a turn
    capture.flush()
    assert await recorder.close(ended_at=datetime.fromtimestamp(T0 + 10, UTC), status="completed")

    async with store.transaction() as s:
        rows = list(await list_turns(s, "c1"))
    assert [(t.speaker, t.text) for t in rows] == [
        ("agent", "Hello, how can I help?"),
        ("caller", "opening hours"),  # one turn, not its two finals
        ("agent", "We open at seven."),
        ("caller", "bye then"),
    ]
    greeting, caller, answer, late = rows
    assert greeting.latency == {"tts_node_ttfb": 0.12, "playback_latency": 0.03}
    assert greeting.stt_confidence is None
    assert caller.stt_confidence == pytest.approx(0.82)
    assert caller.latency == {"transcription_delay": 0.25, "end_of_turn_delay": 0.55}
    assert caller.started_at.timestamp() == pytest.approx(T0 + 3.0)
    assert caller.ended_at is not None and caller.ended_at.timestamp() == pytest.approx(T0 + 4.0)
    # the caller stopped at +4.0 s and heard the answer start at +4.9 s
    assert answer.latency["e2e_latency"] == pytest.approx(0.9)
    assert answer.latency["tts_node_ttfb"] == pytest.approx(0.2)
    assert late.latency == {} and late.stt_confidence is None
    assert late.started_at.timestamp() == pytest.approx(T0 + 9.0)


async def test_a_meetings_caller_turns_name_who_spoke(store: Store, tmp_path: Path) -> None:
    """With several attendees, each caller turn is stored under the one the attribution
    names for its span (the loudest attendee then: agent.meetings.attendees)."""
    recorder = CallRecorder(store, CALL, data_dir=tmp_path, prices=load_prices())
    recorder.start()
    capture = SessionCapture(recorder)
    spans: list[tuple[float, float]] = []

    def loudest(start: float, end: float) -> str:
        spans.append((start, end))
        return "ada" if start < T0 + 5 else "bob"

    capture.speaker_of = loudest
    for text, start in (("my name is ada", T0 + 1.0), ("hackney coffee", T0 + 6.0)):
        metrics = {"started_speaking_at": start, "stopped_speaking_at": start + 1.5}
        capture.caller_turn(ChatMessage(role="user", content=[text], metrics=metrics))  # type: ignore[typeddict-item]
    assert await recorder.close(ended_at=datetime.fromtimestamp(T0 + 10, UTC), status="completed")

    async with store.transaction() as s:
        rows = list(await list_turns(s, "c1"))
    assert [(t.speaker_identity, t.text) for t in rows] == [
        ("ada", "my name is ada"),
        ("bob", "hackney coffee"),
    ]
    assert spans == [
        (pytest.approx(T0 + 1.0), pytest.approx(T0 + 2.5)),
        (pytest.approx(T0 + 6.0), pytest.approx(T0 + 7.5)),
    ]
