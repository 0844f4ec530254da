"""Offline free speech: Whisper tiny.en (the free-speech recognizer) beside PocketSphinx's own
language model (the baseline), on callers' questions.

Usage: ``uv run python bench/speech.py [--voices en-us,en-gb,en-us+f3] [--limit N]``

The questions are every tenant's evaluation set (``tenants/*/eval.yaml``: the tuned set,
the holdouts and the unanswerables), spoken by the ``espeak-ng`` command in each voice at
its sample rate and cut into 10 ms frames as LiveKit delivers them. For each recognizer it
prints:

* word error rate (jiwer, after lower-casing and dropping punctuation; numbers written as
  digits by Whisper are spelled out first, as the documents' questions are written);
* decode time per second of audio (the real-time factor) and the mean per question;
* resident memory the recognizer added to this process once loaded;
* answered right: the share of answerable questions whose transcript, searched in the
  tenant's knowledge base (BM25, the default without the embeddings extra), puts the
  passage holding the expected fact first and is answered (not withheld as unknown): the
  rate at which a spoken question reaches the right answer, audio over loopback rather
  than Opus through the server.
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
from agent.knowledge.search import knowledge_for  # noqa: E402
from agent.providers.local_stt import LocalSTT  # noqa: E402
from agent.providers.whisper_stt import WhisperSTT  # noqa: E402
from agent.tenants import TenantRegistry  # noqa: E402

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


def words(text: str) -> str:
    text = re.sub(r"\d", lambda m: f" {DIGITS[int(m.group())]} ", text.lower())
    return " ".join(re.sub(r"[^a-z' ]", " ", text).split()) or "<empty>"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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

    gc.collect()
    before = rss_mb()
    whisper_stt = LocalSTT(free_speech=WhisperSTT())
    await whisper_stt.warm_up()
    whisper = Figures("Whisper tiny.en", rss_mb=rss_mb() - before)
    before = rss_mb()
    sphinx_stt = LocalSTT(free_speech=None)
    await sphinx_stt.warm_up()
    sphinx = Figures("PocketSphinx LM (baseline)", rss_mb=rss_mb() - before)

    with tempfile.TemporaryDirectory() as tmp:
        for voice in voices:
            for tenant_id, question, fact in questions:
                frames, seconds = spoken(question, voice, Path(tmp))
                for stt, figures in ((sphinx_stt, sphinx), (whisper_stt, whisper)):
                    started = time.perf_counter()
                    event = await stt.recognize(frames)
                    figures.decode_s.append(time.perf_counter() - started)
                    figures.audio_s.append(seconds)
                    text = event.alternatives[0].text
                    figures.refs.append(words(question))
                    figures.hyps.append(words(text))
                    if fact is not None and tenant_id in knowledge:
                        result = knowledge[tenant_id].search(text, 1)
                        top = result.passages[0].text if result.passages else ""
                        threshold = tenants.get(tenant_id).config.knowledge.threshold
                        said = result.says(threshold)
                        right = said and normalize(fact) in normalize(top)
                        figures.answered_right.append(right)
    await whisper_stt.aclose()
    await sphinx_stt.aclose()

    print(f"{len(questions)} questions x {len(voices)} voices ({', '.join(voices)})")
    print(f"{'':30} {'WER':>7} {'answered right':>15} {'RTF':>6} {'s/question':>11} {'RSS MB':>7}")
    for f in (whisper, sphinx):
        share = statistics.mean(map(float, f.answered_right)) if f.answered_right else math.nan
        per_q = statistics.mean(f.decode_s)
        print(
            f"{f.name:30} {f.wer():7.1%} {share:15.1%} {f.rtf():6.2f} {per_q:11.2f} {f.rss_mb:7.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", default="en-us,en-gb,en-us+f3")
    parser.add_argument("--limit", type=int, default=None, help="first N questions only")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("bench/speech.py needs the espeak-ng command (apt-get install espeak-ng)")
    asyncio.run(run(args.voices.split(","), args.limit))


if __name__ == "__main__":
    main()
