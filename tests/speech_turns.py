"""A caller's turns fed to a recognition stream in real time, as a call's audio is.

:class:`TurnStream` pushes eSpeak NG speech and then silence (so the VAD ends the
turn) and returns the transcript with the time from the end of speech to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import numpy as np
from livekit import rtc
from livekit.agents import stt

from agent.providers.espeak import synthesize_pcm

FRAME_MS = 20


def speech_frames(text: str) -> list[rtc.AudioFrame]:
    """``text`` said by eSpeak NG after 0.2 s of silence, then 1.2 s of silence."""
    pcm, rate = synthesize_pcm(text)
    silence = np.zeros(int(rate * 1.2), np.int16)
    pcm = np.concatenate([np.zeros(rate // 5, np.int16), pcm, silence])
    step = rate * FRAME_MS // 1000
    return [
        rtc.AudioFrame(pcm[i : i + step].tobytes(), rate, 1, step)
        for i in range(0, len(pcm) - step + 1, step)
    ]


@dataclass(frozen=True)
class Turn:
    text: str
    seconds: float  # from the end of speech (the VAD's) to the transcript


class TurnStream:
    """One recognition stream (a call's), fed a caller's turns one by one; its events
    are read as they come (so each is timed on arrival) until :meth:`aclose`."""

    def __init__(self, stream: stt.RecognizeStream) -> None:
        self.stream = stream
        self.events: list[tuple[str, bool]] = []  # availability changes, for tests to fill
        self._arrived: asyncio.Queue[tuple[float, stt.SpeechEvent]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for ev in self.stream:
            self._arrived.put_nowait((time.monotonic(), ev))

    async def turn(self, text: str = "opening hours") -> Turn:
        start = time.monotonic()  # in real time, as a caller speaks
        for i, frame in enumerate(speech_frames(text)):
            self.stream.push_frame(frame)
            await asyncio.sleep(max(0.0, start + i * FRAME_MS / 1000 - time.monotonic()))
        ended: float | None = None
        async with asyncio.timeout(30):
            while True:
                at, ev = await self._arrived.get()
                if ev.type == stt.SpeechEventType.END_OF_SPEECH:
                    ended = at
                elif ev.type == stt.SpeechEventType.FINAL_TRANSCRIPT and ended is not None:
                    return Turn(ev.alternatives[0].text, at - ended)

    async def aclose(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
