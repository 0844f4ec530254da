"""A loudspeaker for text-mode sessions: an ``AudioOutput`` that plays the agent's audio
in real time (into silence) and reports playback like a room's audio track does.

With it, an ``AgentSession`` without a room speaks at the pace a caller hears, so tests
can interrupt the agent mid-sentence and check what was heard (``played``).
"""

from __future__ import annotations

import asyncio
import time

from livekit import rtc
from livekit.agents.voice import io


class Speaker(io.AudioOutput):
    """Plays each segment in real time; ``clear_buffer`` cuts it short."""

    def __init__(self) -> None:
        super().__init__(label="speaker", capabilities=io.AudioOutputCapabilities(pause=False))
        self._pushed = 0.0
        self._started: float | None = None
        self._interrupted = asyncio.Event()
        self._playout: asyncio.Task[None] | None = None
        self.played: list[tuple[float, bool]] = []  # (seconds played, interrupted) per segment

    @property
    def playing(self) -> bool:
        started = self._started
        return started is not None and time.monotonic() < started + self._pushed

    def seconds_played(self) -> float:
        """How far the segment under way has played (0 when none is)."""
        return 0.0 if self._started is None else time.monotonic() - self._started

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._started is None:
            self._started = time.monotonic()
            self.on_playback_started(created_at=time.time())
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._pushed and self._playout is None:
            self._playout = asyncio.create_task(self._play_out())

    def clear_buffer(self) -> None:
        if not self._pushed:
            return
        self._interrupted.set()
        if self._playout is None:
            self._playout = asyncio.create_task(self._play_out())

    async def _play_out(self) -> None:
        assert self._started is not None
        remaining = self._started + self._pushed - time.monotonic()
        try:
            await asyncio.wait_for(self._interrupted.wait(), max(remaining, 0.0))
            interrupted = True
        except TimeoutError:
            interrupted = False
        position = min(time.monotonic() - self._started, self._pushed)
        self._pushed, self._started, self._playout = 0.0, None, None
        self._interrupted.clear()
        self.played.append((position, interrupted))
        self.on_playback_finished(playback_position=position, interrupted=interrupted)
