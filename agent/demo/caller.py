"""A simulated caller: a real LiveKit participant that speaks and listens.

Its mouth publishes a microphone track fed continuously (speech from eSpeak NG, else
silence, as a real phone line does). Its ear subscribes to the agent's audio, cuts it
into utterances and decodes each with the local STT. It also reads the transcription
streams the agent publishes, to learn what the agent said and what the agent heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from livekit import rtc
from livekit.agents.types import (
    ATTRIBUTE_AGENT_STATE,
    ATTRIBUTE_TRANSCRIPTION_FINAL,
    ATTRIBUTE_TRANSCRIPTION_TRACK_ID,
    TOPIC_TRANSCRIPTION,
)

from ..providers.espeak import VoiceSettings, asynthesize_pcm
from ..providers.kinds import AnySTT
from ..providers.pocketsphinx_stt import PocketSphinxSTT
from .ear import Segmenter, Utterance
from .lines import sentences

RATE = 48000
TRANSCRIPT_WAIT_S = 15.0  # how long the ear waits for the agent's transcript of its speech
FRAME = RATE // 50  # 20 ms
CALLER_VOICE = VoiceSettings(voice="en-us", rate_wpm=150, pitch=35)


@dataclass(frozen=True)
class Spoken:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Heard:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcribed:
    """A final transcription segment published by the agent."""

    text: str
    own_speech: bool  # True: the agent's transcript of the caller; False: the agent's words
    at: float


MIC_QUEUE_MS = 400


class SimulatedCaller:
    """``ear_stt`` decodes what the agent says. None: the ear only times the agent's
    utterances, their text left empty (a benchmark's ear, whose decoding would compete with
    the agent for the CPU; a second meeting attendee whose words nobody checks)."""

    def __init__(self, ear_stt: AnySTT | None, *, voice: VoiceSettings = CALLER_VOICE) -> None:
        self.room = rtc.Room()
        self._stt, self._voice = ear_stt, voice
        # The microphone runs 400 ms ahead of the wire: the ear's recognizer holds the GIL
        # for tens of milliseconds at a time (more on a loaded machine), and a mic that
        # starves mid-word sends a gap the agent then mishears ("opening up with" for
        # "opening hours"). Timings below account for what is queued.
        self._source = rtc.AudioSource(RATE, 1, queue_size_ms=MIC_QUEUE_MS)
        self._pending: list[np.ndarray] = []
        self._segmenter = Segmenter()
        self._tasks: list[asyncio.Task[None]] = []
        self._decodes: set[asyncio.Task[None]] = set()
        self._mic_sid = ""
        self._expected: tuple[str, ...] = ()
        self.heard: list[Heard] = []
        self.transcripts: list[Transcribed] = []
        self.agent_state = "initializing"
        self._state_changed = asyncio.Event()
        self._drained = asyncio.Event()
        # this class's microphone loop runs (a subclass may speak through a SIP phone)
        self._mic_live = False
        self.disconnected = asyncio.Event()

    async def join(self, url: str, token: str) -> None:
        self.room.on("track_subscribed", self._on_track)
        self.room.on("participant_attributes_changed", self._on_attributes)
        self.room.on("disconnected", lambda *_: self.disconnected.set())
        self.room.register_text_stream_handler(TOPIC_TRANSCRIPTION, self._on_text)
        await self.room.connect(url, token, rtc.RoomOptions(auto_subscribe=True))
        track = rtc.LocalAudioTrack.create_audio_track("caller-mic", self._source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        publication = await self.room.local_participant.publish_track(track, options)
        self._mic_sid = publication.sid
        self._tasks.append(asyncio.create_task(self._mic_loop()))
        self._mic_live = True

    async def leave(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.room.disconnect()

    # -- mouth ---------------------------------------------------------------------------

    async def say(self, text: str) -> Spoken:
        """Speak ``text`` into the microphone; returns when its last sample has played."""
        pcm, rate = await asynthesize_pcm(text, self._voice)
        return await self.play(_resample(pcm, rate), text=text)

    async def play(self, samples: np.ndarray, *, text: str = "") -> Spoken:
        """Play 48 kHz int16 samples into the microphone, in real time.

        The returned start and end are those of the voiced part: eSpeak NG pads its output
        with silence, which must not count as speech when latency is measured.
        """
        lead, trail = _silent_edges(samples)
        self._pending.extend(np.array_split(samples, max(1, len(samples) // FRAME)))
        start = time.time() + self._source.queued_duration + lead
        self._drained.clear()
        await self._drained.wait()
        played = time.time() + self._source.queued_duration
        await asyncio.sleep(max(played - time.time(), 0))
        return Spoken(text=text, start=start, end=max(played - trail, start))

    async def _mic_loop(self) -> None:
        silence = np.zeros(FRAME, dtype=np.int16)
        while True:
            chunk = self._pending.pop(0) if self._pending else silence
            if not self._pending:
                self._drained.set()
            frame = rtc.AudioFrame(chunk.tobytes(), RATE, 1, len(chunk))
            await self._source.capture_frame(frame)

    # -- ear -----------------------------------------------------------------------------

    def _on_track(self, track: rtc.Track, _pub: object, participant: rtc.RemoteParticipant) -> None:
        if track.kind == rtc.TrackKind.KIND_AUDIO:
            self._tasks.append(asyncio.create_task(self._listen(track)))

    async def _listen(self, track: rtc.Track) -> None:
        stream = rtc.AudioStream.from_track(track=track, sample_rate=16000, num_channels=1)
        try:
            async for event in stream:
                utterance = self._segmenter.push(event.frame)
                if utterance is not None and self._stt is None:
                    self.heard.append(Heard(text="", start=utterance.start, end=utterance.end))
                elif utterance is not None:
                    task = asyncio.create_task(self._decode(utterance))
                    self._decodes.add(task)
                    task.add_done_callback(self._decodes.discard)
        finally:
            await stream.aclose()

    def expect(self, phrases: Sequence[str]) -> None:
        """What the agent may say (its flow's lines): the ear's standing hints."""
        self._expected = tuple(phrases)
        self._set_ear_hints(self._expected)

    async def _decode(self, utterance: Utterance) -> None:
        assert self._stt is not None
        # Decode while the mouth is quiet: the recognizer holds the GIL for tens of
        # milliseconds at a time, and on a loaded machine that starved the microphone
        # mid-word (the agent heard "kate cook" for "peter smith"). What is heard when is
        # timed by the segmenter, not by the decode, so waiting changes no figure.
        if self._mic_live:
            await self._drained.wait()
        if self._expected:  # add the agent's transcript of this speech to the hints
            deadline = time.time() + TRANSCRIPT_WAIT_S
            while time.time() < deadline and not self._transcribed_since(utterance.start):
                await asyncio.sleep(0.05)
            said = [t.text for t in self.transcripts if not t.own_speech]
            self._set_ear_hints((*self._expected, *(p for t in said[-3:] for p in sentences(t))))
        event = await self._stt.recognize(utterance.frames)
        text = event.alternatives[0].text if event.alternatives else ""
        self.heard.append(Heard(text=text, start=utterance.start, end=utterance.end))

    def _transcribed_since(self, start: float) -> bool:
        return any(not t.own_speech and t.at >= start for t in self.transcripts)

    def _set_ear_hints(self, phrases: Sequence[str]) -> None:
        if isinstance(self._stt, PocketSphinxSTT):
            self._stt.set_hints(phrases)

    @property
    def ear_active(self) -> bool:
        """True while the agent's audio is in an utterance."""
        return self._segmenter.active

    def first_agent_audio_after(self, t: float) -> float | None:
        starts = [h.start for h in self.heard if h.start >= t - 0.05]
        return min(starts) if starts else None

    # -- what the agent publishes ----------------------------------------------------------

    def _on_text(self, reader: rtc.TextStreamReader, _identity: str) -> None:
        self._tasks.append(asyncio.create_task(self._read_text(reader)))

    async def _read_text(self, reader: rtc.TextStreamReader) -> None:
        try:
            text = await reader.read_all()
        except rtc.StreamError:  # its sender died mid-stream (a killed agent): no final text
            return
        attributes = reader.info.attributes or {}
        if attributes.get(ATTRIBUTE_TRANSCRIPTION_FINAL) == "true" and text.strip():
            own = attributes.get(ATTRIBUTE_TRANSCRIPTION_TRACK_ID) == self._mic_sid
            self.transcripts.append(Transcribed(text.strip(), own, time.time()))

    def _on_attributes(self, changed: dict[str, str], participant: rtc.Participant) -> None:
        if ATTRIBUTE_AGENT_STATE in changed:
            self.agent_state = changed[ATTRIBUTE_AGENT_STATE]
            self._state_changed.set()

    def agent_present(self) -> bool:
        """Whether an agent participant is in the room."""
        return any(
            p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
            for p in self.room.remote_participants.values()
        )

    async def wait_for_agent(self, timeout: float) -> bool:
        """Wait until an agent has joined the room (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        while not self.agent_present():
            if time.monotonic() >= deadline or self.disconnected.is_set():
                return False
            await asyncio.sleep(0.1)
        return True

    async def agent_turn_done(
        self, since: float, *, quiet_s: float = 1.2, timeout: float = 45.0, drain: bool = True
    ) -> bool:
        """Wait until the agent has spoken since ``since`` and then stayed quiet; with
        ``drain``, also until the ear has decoded what it heard (on a loaded machine that
        can take longer than the agent waits for an answer: a caller that answers at once
        passes ``drain=False`` and calls :meth:`drain_decodes` while it speaks)."""
        deadline = time.time() + timeout
        while time.time() < deadline and not self.disconnected.is_set():
            spoke = self._segmenter.last_voiced_at > since
            quiet = time.time() - self._segmenter.last_voiced_at >= quiet_s
            if spoke and quiet and not self._segmenter.active and self.agent_state != "speaking":
                break
            await asyncio.sleep(0.05)
        else:
            if not self.disconnected.is_set():
                return False
        if drain:
            await self.drain_decodes()
        return True

    async def drain_decodes(self) -> None:
        if self._decodes:
            await asyncio.wait(set(self._decodes), timeout=30)


def _silent_edges(samples: np.ndarray, threshold: float = 250.0) -> tuple[float, float]:
    """Seconds of silence before the first and after the last voiced 10 ms of ``samples``."""
    hop = RATE // 100
    n = len(samples) // hop
    if n == 0:
        return 0.0, 0.0
    frames = samples[: n * hop].reshape(n, hop).astype(np.float64)
    voiced = np.flatnonzero(np.sqrt(np.mean(frames * frames, axis=1)) >= threshold)
    if voiced.size == 0:
        return 0.0, 0.0
    return voiced[0] / 100, (len(samples) / hop - voiced[-1] - 1) / 100


def _resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return pcm
    resampler = rtc.AudioResampler(rate, RATE, num_channels=1)
    frames = resampler.push(rtc.AudioFrame(pcm.tobytes(), rate, 1, len(pcm)))
    frames += resampler.flush()
    return np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])


def transcripts_between(
    items: Sequence[Transcribed], start: float, end: float, *, own: bool
) -> str:
    return " ".join(t.text for t in items if t.own_speech == own and start <= t.at < end)
