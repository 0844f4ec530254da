"""The simulated caller's ear: split the agent's audio into utterances by energy.

The agent's audio is clean synthesized speech over silence, so an energy gate with a
hangover is enough to find where each utterance starts and ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from livekit import rtc

VOICED_RMS = 250.0  # int16 RMS above which a frame counts as speech
HANGOVER_S = 0.26  # silence that closes an utterance: longer than a comma, shorter
# than the pause eSpeak NG makes after a sentence (about 0.33 s), so one utterance is one
# sentence


@dataclass
class Utterance:
    start: float  # wall-clock time of the first voiced frame
    end: float = 0.0
    frames: list[rtc.AudioFrame] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.end - self.start


def frame_rms(frame: rtc.AudioFrame) -> float:
    samples = np.frombuffer(frame.data, dtype=np.int16).astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0


class Segmenter:
    """Feed frames in arrival order; finished utterances come out of :meth:`push`."""

    def __init__(self, *, voiced_rms: float = VOICED_RMS, hangover_s: float = HANGOVER_S):
        self._voiced_rms, self._hangover = voiced_rms, hangover_s
        self._current: Utterance | None = None
        self._silence = 0.0
        self.last_voiced_at = 0.0

    @property
    def active(self) -> bool:
        return self._current is not None

    def push(self, frame: rtc.AudioFrame, now: float | None = None) -> Utterance | None:
        now = time.time() if now is None else now
        duration = frame.samples_per_channel / frame.sample_rate
        voiced = frame_rms(frame) >= self._voiced_rms
        if voiced:
            self.last_voiced_at = now
            if self._current is None:
                self._current = Utterance(start=now - duration)
            self._silence = 0.0
        if self._current is None:
            return None
        self._current.frames.append(frame)
        if not voiced:
            self._silence += duration
            if self._silence >= self._hangover:
                done, self._current = self._current, None
                done.end = now - self._silence
                return done
        return None
