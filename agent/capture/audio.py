"""Call audio: the caller and the agent as the two channels of one OGG/Opus file.

livekit's ``RecorderIO`` does the capture and encoding (caller left, agent right, on
one timeline). It is attached to the running session only once recording may begin:
at once when the tenant records every call, or after the flow's consent was granted
(``recording.requires_consent``), so nothing said before consent is ever buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from livekit.agents import AgentSession, AgentStateChangedEvent
from livekit.agents.voice.recorder_io import RecorderIO

from ..record.events import EventType
from .recorder import CallRecorder
from .storage import RecordingStorage

logger = logging.getLogger("frontdesk.capture.audio")


def in_progress_dir(data_dir: Path) -> Path:
    """Where recordings are written during their call (then moved to storage)."""
    return data_dir / "recording-in-progress"


@dataclass(frozen=True)
class RecordingPolicy:
    enabled: bool
    requires_consent: bool
    retention_days: int


class Capture(Protocol):
    async def begin(self) -> bool: ...

    async def end(self) -> Path | None: ...


class AudioCapture:
    """Records one session's audio to ``path`` from :meth:`begin` until :meth:`end`."""

    def __init__(self, session: AgentSession[None], path: Path) -> None:
        self.session = session
        self.path = path
        self._recorder: RecorderIO | None = None
        self._started = asyncio.Event()
        session.on("agent_state_changed", self._on_state)

    def _on_state(self, _ev: AgentStateChangedEvent) -> None:
        self._started.set()  # the session is running: its audio input and output exist

    async def begin(self) -> bool:
        """Start recording (waits for the session to be running); False if it cannot."""
        if self._recorder is not None:
            return True
        await self._started.wait()
        audio_in, audio_out = self.session.input.audio, self.session.output.audio
        if audio_in is None or audio_out is None:
            logger.warning("no audio to record")
            return False
        recorder = RecorderIO(agent_session=self.session)
        self.session.input.audio = recorder.record_input(audio_in)
        self.session.output.audio = recorder.record_output(audio_out)
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        await recorder.start(output_path=self.path)
        self._recorder = recorder
        return True

    async def end(self) -> Path | None:
        """Stop and flush; the file's path if anything was recorded."""
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        with contextlib.suppress(Exception):
            await recorder.aclose()
        exists = await asyncio.to_thread(self.path.is_file)
        return self.path if exists else None


class CallAudio:
    """A call's recording under its tenant's policy: when to begin, and where it goes."""

    def __init__(
        self,
        capture: Capture,
        policy: RecordingPolicy,
        storage: RecordingStorage,
        recorder: CallRecorder,
    ) -> None:
        self.capture, self.policy, self.storage, self.recorder = capture, policy, storage, recorder
        self._tasks: set[asyncio.Task[bool]] = set()
        if policy.requires_consent:
            recorder.on_event(self._on_flow_event)
        else:
            self._begin()

    def _begin(self) -> None:
        task = asyncio.create_task(self.capture.begin(), name="audio-capture")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_flow_event(self, type_name: str, payload: dict[str, object]) -> None:
        if type_name == EventType.CONSENT_RECORDED and payload.get("granted") is True:
            self._begin()

    async def finish(self, started_at: datetime) -> None:
        """Stop recording, keep the file in storage and record its row (through the recorder)."""
        for task in list(self._tasks):
            task.cancel()
        path = await self.capture.end()
        if path is None:
            return
        call = self.recorder.call
        size = (await asyncio.to_thread(path.stat)).st_size
        try:
            uri = await self.storage.put(f"{call.tenant}/{call.id}{path.suffix}", path)
        except Exception:
            logger.exception("recording not stored", extra={"call_id": call.id})
            return
        self.recorder.add_recording(
            storage=self.storage.name,
            uri=uri,
            format=path.suffix.lstrip("."),
            channels=2,
            size=size,
            expires_at=started_at + timedelta(days=self.policy.retention_days),
        )
