"""Offline free speech: Whisper tiny.en (the free-speech recognizer) beside PocketSphinx's own
language model (the baseline), on callers' questions.

Usage: ``uv run python bench/speech.py [--voices en-us,en-gb,en-us+f3] [--limit N]``

Both rows are the offline recognizer (:class:`~agent.providers.local_stt.LocalSTT`) given
free speech (no hints): with Whisper, which then decodes every question, and without
(``FRONTDESK_NEURAL_STT=false``), where PocketSphinx's own language model does.

The questions are every tenant's evaluation set (``tenants/*/eval.yaml``: the tuned set,
the holdouts and the unanswerables), spoken by the ``espeak-ng`` command in each voice at
its sample rate and cut into 10 ms frames as LiveKit delivers them. For each recognizer it
prints:

* word error rate (jiwer, after lower-casing and dropping punctuation; numbers written as
  digits by Whisper are spelled out first, as the documents' questions are written);
* decode time per second of audio (the real-time factor) and the mean per question;
* resident memory the recognizer adds to a process (a fresh one per recognizer, Frontdesk
  imported) once loaded and used once;
* answered right: the share of answerable questions whose transcript, searched in the
  tenant's knowledge base (BM25, the default without the embeddings extra), puts the
  passage holding the expected fact first and is answered (not withheld as unknown): the
  rate at which a spoken question reaches the right answer, audio over loopback rather
  than Opus through the server. The typed questions give the ceiling: what the knowledge
  base answers right when it gets the question's exact words.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import jiwer
import numpy as np
from livekit import rtc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.knowledge.evaluate import load_eval, normalize  # noqa: E402
from agent.providers.local_stt import LocalSTT  # noqa: E402
from agent.providers.whisper_stt import WhisperSTT  # noqa: E402
from agent.tenants import TenantRegistry  # noqa: E402
from agent.tenants.knowledge import knowledge_for  # noqa: E402

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@dataclass
class Figures:
    name: str
    refs: list[str] = field(default_factory=list)
    hyps: list[str] = field(default_factory=list)
    decode_s: list[float] = field(default_factory=list)
    audio_s: list[float] = field(default_factory=list)
    answered_right: list[bool] = field(default_factory=list)
    rss_mb: float = 0.0

    def wer(self) -> float:
        return float(jiwer.wer(self.refs, self.hyps))

    def rtf(self) -> float:
        return sum(self.decode_s) / sum(self.audio_s)

    def share_right(self) -> float:
        right = self.answered_right
        return statistics.mean(map(float, right)) if right else math.nan


def words(text: str) -> str:
    text = re.sub(r"\d", lambda m: f" {DIGITS[int(m.group())]} ", text.lower())
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split()) or "<empty>"


def rss_mb() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


async def _memory_of(kind: str) -> None:
    """(In a fresh process) print the resident memory, in MB, that loading the ``kind``
    recognizer and decoding one question added to a process that imported Frontdesk."""
    with tempfile.TemporaryDirectory() as tmp:
        sample, _ = spoken("where can i leave the car when i come to you", "en-us", Path(tmp))
    gc.collect()
    before = rss_mb()
    stt = LocalSTT(free_speech=WhisperSTT() if kind == "whisper" else None)
    await stt.warm_up()
    await stt.recognize(sample)
    print(rss_mb() - before)


def memory_of(kind: str) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-of", kind], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def spoken(text: str, voice: str, folder: Path) -> tuple[list[rtc.AudioFrame], float]:
    path = folder / "q.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)
    with wave.open(str(path), "rb") as wav:
        rate, data = wav.getframerate(), wav.readframes(wav.getnframes())
    pcm = np.frombuffer(data, dtype=np.int16)
    pad = np.random.default_rng(7).normal(0, 20, int(0.3 * rate))
    audio = np.concatenate([pad, pcm, pad]).round().clip(-32768, 32767).astype(np.int16)
    step = rate // 100
    frames = [
        rtc.AudioFrame(audio[i : i + step].tobytes(), rate, 1, len(audio[i : i + step]))
        for i in range(0, audio.size, step)
    ]
    return frames, audio.size / rate


async def run(voices: list[str], limit: int | None) -> None:
    tenants = TenantRegistry(ROOT / "tenants")
    questions: list[tuple[str, str, str | None]] = []  # tenant, question, fact (None: none)
    for tenant in tenants.all():
        path = tenant.folder / "eval.yaml"
        if not path.is_file():
            continue
        for part in load_eval(path).parts().values():
            questions += [(tenant.id, q.q, q.fact) for q in part.questions]
            questions += [(tenant.id, q, None) for q in part.unanswerable]
    questions = questions[:limit] if limit else questions
    knowledge = {t.id: knowledge_for(t) for t in tenants.all() if t.knowledge_dir.is_dir()}

    def answered_right(tenant_id: str, text: str, fact: str) -> bool:
        result = knowledge[tenant_id].search(text, 1)
        top = result.passages[0].text if result.passages else ""
        threshold = tenants.get(tenant_id).config.knowledge.threshold
        return result.says(threshold) and normalize(fact) in normalize(top)

    with tempfile.TemporaryDirectory() as tmp:
        sphinx_stt = LocalSTT(free_speech=None)
        sphinx = Figures("PocketSphinx alone (baseline)", rss_mb=memory_of("sphinx"))
        whisper_stt = LocalSTT(free_speech=WhisperSTT())
        whisper = Figures("PocketSphinx + Whisper tiny.en", rss_mb=memory_of("whisper"))
        typed = Figures("typed question (no recognizer)")

        for voice in voices:
            for tenant_id, question, fact in questions:
                frames, seconds = spoken(question, voice, Path(tmp))
                answerable = fact if tenant_id in knowledge else None
                if answerable is not None:
                    typed.answered_right.append(answered_right(tenant_id, question, answerable))
                for stt, figures in ((sphinx_stt, sphinx), (whisper_stt, whisper)):
                    started = time.perf_counter()
                    event = await stt.recognize(frames)
                    figures.decode_s.append(time.perf_counter() - started)
                    figures.audio_s.append(seconds)
                    text = event.alternatives[0].text
                    figures.refs.append(words(question))
                    figures.hyps.append(words(text))
                    if answerable is not None:
                        right = answered_right(tenant_id, text, answerable)
                        figures.answered_right.append(right)
    await whisper_stt.aclose()
    await sphinx_stt.aclose()

    print(f"{len(questions)} questions x {len(voices)} voices ({', '.join(voices)})")
    header = f"{'WER':>7} {'answered right':>15} {'RTF':>6} {'s/question':>11} {'RSS MB':>7}"
    print(f"{'':36} {header}")
    for f in (whisper, sphinx):
        per_q = statistics.mean(f.decode_s)
        print(
            f"{f.name:36} {f.wer():7.1%} {f.share_right():15.1%} {f.rtf():6.2f} "
            f"{per_q:11.2f} {f.rss_mb:7.0f}"
        )
    print(f"{typed.name:36} {'':7} {typed.share_right():15.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", default="en-us,en-gb,en-us+f3")
    parser.add_argument("--limit", type=int, default=None, help="first N questions only")
    parser.add_argument("--memory-of", choices=["whisper", "sphinx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        asyncio.run(_memory_of(args.memory_of))
        return
    if shutil.which("espeak-ng") is None:
        sys.exit("bench/speech.py needs the espeak-ng command (apt-get install espeak-ng)")
    asyncio.run(run(args.voices.split(","), args.limit))


if __name__ == "__main__":
    main()
