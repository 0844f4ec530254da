"""The offline recognizer on real speech: Whisper tiny.en for free speech, PocketSphinx for
the answers a node expects (:class:`~agent.providers.local_stt.LocalSTT`).

Speech comes from the espeak-ng command, prepared as in ``test_pocketsphinx_stt``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import jiwer
import numpy as np
import pytest

from agent.config import load_settings
from agent.flow.model import AskType
from agent.flow.slots import hints_for_type, pattern_for_type
from agent.providers.local_stt import LocalSTT
from agent.providers.registry import build_stt
from agent.providers.whisper_stt import WhisperSTT, to_float16k
from tests.unit.test_pocketsphinx_stt import (
    HINTS,
    Speak,
    frames,
    make_audio,
    speak,
    transcribe,
)

pytestmark = pytest.mark.unit
__all__ = ["speak"]  # the module's espeak-ng fixture

# callers' questions from the tenants' eval sets that PocketSphinx's free language model
# garbles ("where can the little come to you"): free speech, no grammar
QUESTIONS = [
    "where can i leave the car when i come to you",
    "what do you charge for a man's haircut",
    "do i have to put money down when i order a cake",
    "if i need to cancel how much warning do you need",
    "what happens if i cancel on the day",
    "where is the salon",
]


@pytest.fixture(scope="module")
async def local() -> AsyncIterator[LocalSTT]:
    engine = LocalSTT(free_speech=WhisperSTT())
    await engine.warm_up()
    yield engine
    await engine.aclose()


async def test_whisper_hears_free_questions_pocketsphinx_gets_wrong(
    local: LocalSTT, speak: Speak
) -> None:
    local.set_hints(None)
    sphinx_alone = LocalSTT(free_speech=None)  # PocketSphinx's free language model
    whisper, sphinx = [], []
    for question in QUESTIONS:
        audio = frames(make_audio(speak(question)))
        whisper.append(_words(await transcribe(local, audio)))
        sphinx.append(_words(await transcribe(sphinx_alone, audio)))
    await sphinx_alone.aclose()
    whisper_wer, sphinx_wer = jiwer.wer(QUESTIONS, whisper), jiwer.wer(QUESTIONS, sphinx)
    # measured: Whisper 0.04, PocketSphinx 0.63 word error rate
    assert whisper_wer <= 0.15, whisper
    assert sphinx_wer >= whisper_wer + 0.25, sphinx


async def test_expected_answers_stay_with_the_grammar(local: LocalSTT, speak: Speak) -> None:
    local.set_hints(HINTS)
    heard = await transcribe(local, frames(make_audio(speak("book a table"))))
    assert heard == "Book a table"  # the hint as given: the grammar took it


async def test_a_question_to_a_node_with_hints_goes_to_whisper(
    local: LocalSTT, speak: Speak
) -> None:
    local.set_hints(HINTS)  # an answer node's done/yes phrases and the global intents
    question = "what do you charge for a man's haircut"
    heard = await transcribe(local, frames(make_audio(speak(question))))
    assert heard not in HINTS
    assert {"charge", "haircut"} <= set(_words(heard).split()), heard  # Whisper's words


async def test_silence_is_not_decoded(local: LocalSTT) -> None:
    quiet = np.random.default_rng(1).normal(0, 20, 48000).round().astype(np.int16)
    local.set_hints(None)
    assert await transcribe(local, frames(quiet.reshape(-1, 1))) == ""


async def test_inference_runs_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, speak: Speak
) -> None:
    engine = WhisperSTT()
    model = engine._load()
    threads: list[str] = []
    original = model.transcribe

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(model, "transcribe", spy)
    await transcribe(engine, frames(make_audio(speak("where is the clinic"))))
    await engine.aclose()
    assert len(threads) == 1 and threads[0].startswith("whisper"), threads
    assert threads[0] != threading.main_thread().name


def test_audio_is_resampled_to_16k_mono(speak: Speak) -> None:
    audio = make_audio(speak("hello"), rate=48000, channels=2)
    buffer = frames(audio, rate=48000)
    out = to_float16k(buffer)
    assert out.dtype == np.float32
    assert abs(out.size - audio.shape[0] / 3) <= 480  # 48 kHz -> 16 kHz, resampler delay
    assert 0.01 < float(np.abs(out).max()) <= 1.0


def test_the_setting_turns_whisper_off() -> None:
    on = build_stt(load_settings(check_keys=False))
    off = build_stt(load_settings(check_keys=False, neural_stt=False))
    assert isinstance(on, LocalSTT) and isinstance(on.free_speech, WhisperSTT)
    assert isinstance(off, LocalSTT) and off.free_speech is None


async def test_a_typed_answer_stays_with_pocketsphinx(local: LocalSTT, speak: Speak) -> None:
    """Whisper wrote this number as "0 to 0 9 4 6 0 1 2 3 4": digits belong to the
    pattern grammar (and its language-model fallback), as the extractors expect."""
    local.set_hints(hints_for_type(AskType.PHONE), pattern=pattern_for_type(AskType.PHONE))
    spoken = "zero two zero nine four six zero one two three four"
    assert await transcribe(local, frames(make_audio(speak(spoken)))) == spoken


async def test_free_speech_waits_for_whisper_to_be_warm(speak: Speak) -> None:
    """Until Whisper has loaded and run once (the first inference of a process is slow:
    a caller's turn would wait for it), PocketSphinx's language model takes free speech."""
    cold = LocalSTT(free_speech=WhisperSTT())
    assert cold.free_speech is not None and not cold.free_speech.ready
    heard = await transcribe(cold, frames(make_audio(speak("where is the salon"))))
    assert heard == heard.lower() and "?" not in heard  # PocketSphinx's words, not Whisper's
    await cold.free_speech.warm_up()
    assert cold.free_speech.ready
    heard = await transcribe(cold, frames(make_audio(speak("where is the salon"))))
    assert heard == "Where is the salon?"
    await cold.aclose()


def _words(text: str) -> str:
    """Whisper writes sentences: lower case, no punctuation, for comparison."""
    return "".join(c for c in text.lower() if c.isalnum() or c in " '").strip()
