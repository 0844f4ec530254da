"""Several attendees in a discovery meeting: the flow hears all of them, and each turn names
who said it.

livekit's ``RoomIO`` links a session's audio input to one participant. In a meeting the
flow must talk with whoever speaks, so :class:`AttendeesAudio` replaces that input: every
attendee's microphone, mixed into one stream (livekit's ``rtc.AudioMixer``, 10 ms
blocks), feeds the session's VAD and recognizer as one caller's would. Nothing is lost
when the speaker changes (relinking the input to the active speaker lost the first words
after each switch). While mixing it keeps each attendee's loudness over time, and
:meth:`AttendeesAudio.speaker_between` names the one who was loudest during a turn: the
turn is stored under their identity (``turns.speaker_identity``). The meeting ends when
the last attendee leaves, not the first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

from ..identities import is_staff

logger = logging.getLogger("frontdesk.meetings.attendees")

SAMPLE_RATE = 24_000
BLOCK = SAMPLE_RATE // 100  # 10 ms
HISTORY_S = 120.0  # loudness kept per attendee, for attributing turns


AttendeeTrack = Callable[[rtc.RemoteParticipant, rtc.Track], None]


def on_attendee_microphones(room: rtc.Room, heard: AttendeeTrack) -> None:
    """Call ``heard(participant, track)`` once for each attendee's audio track: those in
    the room now, and each one subscribed later."""
    seen: set[str] = set()

    def subscribed(
        track: rtc.Track, _pub: rtc.RemoteTrackPublication, who: rtc.RemoteParticipant
    ) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO and is_attendee(who) and track.sid not in seen:
            seen.add(track.sid)
            heard(who, track)

    for participant in room.remote_participants.values():
        for publication in participant.track_publications.values():
            if publication.track is not None:
                subscribed(publication.track, publication, participant)
    room.on("track_subscribed", subscribed)


def is_attendee(participant: rtc.RemoteParticipant) -> bool:
    """A person the meeting is with: not an agent, not the tenant's staff (a person who
    took a handoff is transcribed as themselves: agent.humans)."""
    agent = participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
    return not agent and not is_staff(participant.identity)


class AttendeesAudio(io.AudioInput):
    """Every attendee's microphone mixed into one audio input, with who spoke when."""

    def __init__(self, room: rtc.Room) -> None:
        super().__init__(label="meeting-attendees")
        self._room = room
        self._mixer = rtc.AudioMixer(SAMPLE_RATE, 1, blocksize=BLOCK, stream_timeout_ms=50)
        self._streams: dict[str, AsyncIterator[rtc.AudioFrame]] = {}  # by track sid
        self._loudness: dict[str, deque[tuple[float, float]]] = {}  # identity -> (t, power)
        self._audio: dict[str, rtc.AudioStream] = {}

    def start(self) -> None:
        """Mix the attendees here and those who come; drop those who leave."""
        on_attendee_microphones(self._room, self._mix_in)
        self._room.on("track_unsubscribed", self._on_track_gone)

    async def aclose(self) -> None:
        await self._mixer.aclose()
        for audio in list(self._audio.values()):
            await audio.aclose()

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._mixer.__anext__()

    def speaker_between(self, start: float, end: float) -> str | None:
        """The attendee loudest from ``start`` to ``end`` (epoch seconds); None if nobody
        was heard then."""
        energy = {
            identity: sum(p for t, p in samples if start <= t <= end)
            for identity, samples in self._loudness.items()
        }
        best = max(energy, key=lambda identity: energy[identity], default=None)
        return best if best is not None and energy[best] > 0 else None

    def _mix_in(self, participant: rtc.RemoteParticipant, track: rtc.Track) -> None:
        audio = rtc.AudioStream.from_track(track=track, sample_rate=SAMPLE_RATE, num_channels=1)
        stream = self._measured(participant.identity, audio)
        self._audio[track.sid] = audio
        self._streams[track.sid] = stream
        self._mixer.add_stream(stream)
        logger.info("mixing an attendee in", extra={"identity": participant.identity})

    def _on_track_gone(
        self,
        track: rtc.Track,
        publication: rtc.RemoteTrackPublication,
        participant: rtc.RemoteParticipant,
    ) -> None:
        stream = self._streams.pop(track.sid, None)
        if stream is not None:
            self._mixer.remove_stream(stream)
        audio = self._audio.pop(track.sid, None)
        if audio is not None:
            asyncio.get_running_loop().create_task(audio.aclose())

    async def _measured(
        self, identity: str, audio: rtc.AudioStream
    ) -> AsyncIterator[rtc.AudioFrame]:
        history = self._loudness.setdefault(identity, deque())
        async for event in audio:
            frame = event.frame
            pcm = np.frombuffer(frame.data, dtype=np.int16).astype(np.float32)
            now = time.time()
            history.append((now, float(np.mean(pcm**2)) if pcm.size else 0.0))
            while history and history[0][0] < now - HISTORY_S:
                history.popleft()
            yield frame


def end_when_everyone_left(room: rtc.Room, end: Callable[[], None]) -> None:
    """Call ``end`` once no attendee is left in the room."""

    def left(_participant: rtc.RemoteParticipant) -> None:
        if not any(is_attendee(p) for p in room.remote_participants.values()):
            end()

    room.on("participant_disconnected", left)
