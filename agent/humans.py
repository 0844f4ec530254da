"""A person of the tenant's staff in a call's room (the handoff console's "take call").

The dispatcher mints staff tokens with identities ``staff-<id>`` (:mod:`.identities`;
visitors and SIP callers get other identities, and cannot choose their own). When one
joins, the :class:`~agent.flow.runtime.FlowAgent` stops speaking and answering (it
says the tenant's ``handoff.announce`` line first); the caller's turns are still
recorded by the session, and :class:`HumanTranscriber` records what the person says as
turns of speaker ``human``, through the call's own recognizer (free speech, no grammar).
When the person leaves the room, the flow resumes; when nobody came in the tenant's wait
time, :func:`tell_owner_of_missed_handoff` emails the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from livekit import rtc
from livekit.agents import stt, vad

from .capture.recorder import CallRecorder
from .flow.runtime import FlowAgent
from .identities import is_staff as is_staff_identity
from .postcall.owner_mail import email_owner_once
from .providers.kinds import AnySTT
from .record.turn import TurnRecord
from .store import Store
from .tenants import Tenant

logger = logging.getLogger("frontdesk.handoff")


def is_staff(participant: rtc.RemoteParticipant) -> bool:
    return is_staff_identity(participant.identity)


class HumanTranscriber:
    """Transcribes each staff participant's microphone into the call record."""

    def __init__(self, recognizer: AnySTT, vad_model: vad.VAD, recorder: CallRecorder) -> None:
        self._stt = recognizer
        self._vad = vad_model
        self._recorder = recorder
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, track: rtc.RemoteAudioTrack, identity: str) -> None:
        if identity in self._tasks:
            return
        task = asyncio.create_task(self._run(track, identity), name=f"transcribe-{identity}")
        self._tasks[identity] = task
        task.add_done_callback(lambda _t: self._tasks.pop(identity, None))

    def stop(self, identity: str) -> None:
        task = self._tasks.pop(identity, None)
        if task is not None:
            task.cancel()

    def _stream(self) -> stt.RecognizeStream:
        if self._stt.capabilities.streaming:
            return self._stt.stream()
        return stt.StreamAdapter(stt=self._stt, vad=self._vad).stream()

    async def _run(self, track: rtc.RemoteAudioTrack, identity: str) -> None:
        audio = rtc.AudioStream.from_track(track=track, sample_rate=16000, num_channels=1)
        recognizing = self._stream()

        async def push() -> None:
            async for event in audio:
                recognizing.push_frame(event.frame)
            recognizing.end_input()

        pushing = asyncio.create_task(push())
        try:
            async for event in recognizing:
                if event.type != stt.SpeechEventType.FINAL_TRANSCRIPT or not event.alternatives:
                    continue
                text = event.alternatives[0].text.strip()
                if text:
                    at = datetime.now(UTC)
                    self._recorder.add_turn(TurnRecord(speaker="human", text=text, started_at=at))
        except Exception:
            logger.exception("transcribing the person failed", extra={"identity": identity})
        finally:
            pushing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pushing
            await recognizing.aclose()
            await audio.aclose()


def watch_humans(
    room: rtc.Room, agent: FlowAgent, transcriber: HumanTranscriber, announce: str | None
) -> None:
    """Tell the agent when a person joins or leaves, and transcribe them meanwhile."""

    def joined(p: rtc.RemoteParticipant) -> None:
        if is_staff(p):
            agent.human_joined(p.identity, announce)

    def left(p: rtc.RemoteParticipant) -> None:
        if is_staff(p):
            transcriber.stop(p.identity)
            agent.human_left(p.identity)

    def subscribed(
        track: rtc.Track, _pub: rtc.RemoteTrackPublication, p: rtc.RemoteParticipant
    ) -> None:
        if is_staff(p) and isinstance(track, rtc.RemoteAudioTrack):
            transcriber.start(track, p.identity)

    room.on("participant_connected", joined)
    room.on("participant_disconnected", left)
    room.on("track_subscribed", subscribed)


async def tell_owner_of_missed_handoff(store: Store, tenant: Tenant, call_id: str) -> bool:
    """Email the owner that nobody took a call that asked for a person (once per call)."""
    logger.warning("handoff not taken", extra={"call_id": call_id, "tenant": tenant.id})
    return await email_owner_once(
        store,
        tenant,
        purpose="handoff_missed",
        subject=f"{tenant.name}: a caller asked for a person and nobody was free",
        text=(
            f"Call {call_id} asked to speak with someone, and nobody took it from the "
            f"handoff console within {tenant.config.handoff.wait_s:.0f} seconds. The agent "
            "promised a callback. The call's record (`frontdesk calls show "
            f"{call_id}`) has what the caller said."
        ),
        key=f"handoff-missed:{call_id}",
    )
