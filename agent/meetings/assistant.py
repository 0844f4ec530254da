"""The meeting assistant: a meeting room in ``assistant`` mode.

Several people talk; the agent runs no flow. It listens to every attendee at once, each
on a recognizer stream of their own (livekit's ``stt.StreamAdapter`` over the call's
recognizer and VAD: the offline recognizer gives free speech to Whisper; not one mixed
stream, as a discovery meeting's flow hears in :mod:`.attendees`, so two people talking
over each other are both transcribed), and stores each
line as a turn naming who said it (``speaker_identity``). It speaks only when a line starts
with one of its names (the tenant's ``meeting_assistant.names``: "assistant, what are your
opening hours on Sunday?"), and then answers from the tenant's knowledge base, or says it
does not know; the answer goes out through a speaking-only ``AgentSession`` and is stored
as the agent's turn. When the last attendee leaves it stores a deterministic summary
(:class:`MeetingSummarized`: who spoke how much, the questions it answered, and the
action items: lines in which someone commits to something) and ends the room; the
post-call pipeline then runs as for any call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, room_io, stt, vad

from ..capture.recorder import CallRecorder
from ..capture.worker import capture_call
from ..config import Settings
from ..knowledge.base import KnowledgeSearch
from ..postcall.pipeline import postcall_hook
from ..providers.kinds import AnySTT
from ..providers.registry import apply_hints
from ..record.turn import TurnRecord
from ..session import CallPlan, Pipeline
from .attendees import is_attendee, on_attendee_microphones

logger = logging.getLogger("frontdesk.meetings.assistant")

COURTESY = frozenset({"hey", "hi", "hello", "ok", "okay", "so", "um", "oh"})
UNKNOWN = "Sorry, I don't know that one."
# a line in which someone takes something on: "I'll send the menu by Friday"
COMMITMENT = re.compile(
    r"\b(i'll|i will|we'll|we will|let's|let us|action item|to do|follow up|"
    r"i need to|we need to|i'm going to|we're going to)\b",
    re.IGNORECASE,
)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def addressed(text: str, names: Sequence[str]) -> str | None:
    """The question when ``text`` starts by calling the assistant by one of its ``names``
    (after a courtesy word: "hey assistant, ..."), else None. A name said elsewhere in a
    line ("we need an assistant manager") does not address it."""
    said = words_of(text)
    start = 0
    while start < len(said) and said[start] in COURTESY:
        start += 1
    for name in names:
        name_words = name.split()
        if said[start : start + len(name_words)] == name_words:
            return " ".join(said[start + len(name_words) :])
    return None


@dataclass(frozen=True)
class MeetingSummarized:
    """The meeting assistant's summary, stored when the last attendee left."""

    summary: str
    action_items: list[dict[str, str]]  # {"who": identity, "text": the line}
    lines: dict[str, int]  # attendee identity -> lines said
    questions: int  # lines addressed to the assistant
    at: datetime


@dataclass
class Line:
    identity: str
    text: str
    at: datetime


@dataclass
class MeetingNotes:
    """What the meeting said so far, for its summary."""

    lines: list[Line] = field(default_factory=list)
    questions: int = 0

    def summarized(self, at: datetime, names: Sequence[str]) -> MeetingSummarized:
        said = Counter(line.identity for line in self.lines)
        items = [
            {"who": line.identity, "text": line.text}
            for line in self.lines
            if COMMITMENT.search(line.text) and addressed(line.text, names) is None
        ]
        people = " and ".join(said) if said else "nobody"
        summary = (
            f"{people} spoke ({', '.join(f'{who}: {n} lines' for who, n in said.items())}); "
            f"{self.questions} question(s) to the assistant; {len(items)} action item(s)."
            if said
            else "Nobody spoke."
        )
        return MeetingSummarized(summary, items, dict(said), self.questions, at)


@dataclass
class MeetingAssistant:
    room: rtc.Room
    recognizer: AnySTT
    vad_model: vad.VAD
    voice: AgentSession[None]
    recorder: CallRecorder
    names: Sequence[str]
    knowledge: KnowledgeSearch | None
    threshold: float
    unknown_line: str = UNKNOWN
    notes: MeetingNotes = field(default_factory=MeetingNotes)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _everyone_left: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        """Listen to every attendee's microphone, those here and those who come."""
        on_attendee_microphones(self.room, self._hear)
        self.room.on("participant_disconnected", self._on_left)

    async def wait_until_everyone_left(self) -> None:
        await self._everyone_left.wait()

    def finish(self) -> MeetingSummarized:
        """Store the summary of what was said; returns it."""
        summary = self.notes.summarized(datetime.now(UTC), self.names)
        self.recorder.emit(summary)
        return summary

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- listening ------------------------------------------------------------------------
    def _hear(self, participant: rtc.RemoteParticipant, track: rtc.Track) -> None:
        self._spawn(self._listen(participant.identity, track), f"listen:{participant.identity}")

    def _on_left(self, participant: rtc.RemoteParticipant) -> None:
        if not any(is_attendee(p) for p in self.room.remote_participants.values()):
            self._everyone_left.set()

    async def _listen(self, identity: str, track: rtc.Track) -> None:
        audio = rtc.AudioStream.from_track(track=track, sample_rate=16000, num_channels=1)
        adapter = stt.StreamAdapter(stt=self.recognizer, vad=self.vad_model)
        recognizing = adapter.stream()

        async def forward() -> None:
            async for event in audio:
                recognizing.push_frame(event.frame)
            recognizing.end_input()

        feeding = asyncio.create_task(forward(), name=f"audio:{identity}")
        try:
            async for event in recognizing:
                if event.type != stt.SpeechEventType.FINAL_TRANSCRIPT or not event.alternatives:
                    continue
                heard = event.alternatives[0]
                if heard.text.strip():
                    self._heard(identity, heard.text.strip(), heard.confidence)
        finally:
            feeding.cancel()
            await asyncio.gather(feeding, return_exceptions=True)
            await recognizing.aclose()
            await audio.aclose()

    def _heard(self, identity: str, text: str, confidence: float) -> None:
        now = datetime.now(UTC)
        self.notes.lines.append(Line(identity, text, now))
        self.recorder.add_turn(
            TurnRecord(
                speaker="caller",
                text=text,
                started_at=now,
                stt_confidence=confidence,
                identity=identity,
            )
        )
        question = addressed(text, self.names)
        logger.info(
            "attendee spoke", extra={"identity": identity, "addressed": question is not None}
        )
        if question is not None:
            self.notes.questions += 1
            self._spawn(self._answer(question), "answer")

    # -- answering ------------------------------------------------------------------------
    async def _answer(self, question: str) -> None:
        line = self.unknown_line
        if question and self.knowledge is not None:
            found = await asyncio.to_thread(self.knowledge.search, question, 1)
            if found.says(self.threshold):
                line = found.answer
        await self.voice.say(line).wait_for_playout()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


INTRO = (
    "Hello, I'm {name}'s meeting assistant. I'm taking notes. If you need me, say "
    "{call}, and then your question."
)


async def run_assistant_call(
    ctx: JobContext, settings: Settings, plan: CallPlan, pipeline: Pipeline
) -> None:
    """Serve a meeting room in assistant mode until its last attendee leaves."""
    voice: AgentSession[None] = AgentSession(tts=pipeline.tts)  # it speaks, never listens
    capture = await capture_call(ctx, settings, plan, voice, postcall=postcall_hook(settings))
    options = room_io.RoomOptions(audio_input=False, text_input=False, close_on_disconnect=False)
    agent = Agent(instructions="Meeting assistant.")
    await voice.start(agent=agent, room=ctx.room, room_options=options)
    apply_hints(pipeline.stt, None)  # free speech: every line goes to the free-speech recognizer
    names = plan.tenant.config.meeting_assistant.names
    assistant = MeetingAssistant(
        ctx.room,
        pipeline.stt,
        pipeline.vad_model,
        voice,
        capture.recorder,
        names=names,
        knowledge=plan.knowledge,
        threshold=plan.tenant.config.knowledge.threshold,
    )
    assistant.start()
    voice.say(INTRO.format(name=plan.tenant.config.name, call=names[0]))
    await assistant.wait_until_everyone_left()
    summary = assistant.finish()
    logger.info("meeting over", extra={"summary": summary.summary})
    await assistant.aclose()
    ctx.shutdown(reason="everyone left")
