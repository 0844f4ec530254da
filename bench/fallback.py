"""Fallback switch time: how long a turn takes when its cloud provider fails or stalls.

Usage: ``uv run python bench/fallback.py [--runs N] [--timeout S]``

A scripted cloud provider (:mod:`tests.fake_providers`: cloud services cannot be
reached here) is chained before the real local one through the project's chain
configuration (:mod:`agent.providers.fallback`, ``FRONTDESK_FALLBACK_TIMEOUT`` = ``S``).
For each case, a fresh chain serves one healthy turn, the cloud is then set ``down``
(refuses at once) or ``stalled`` (never answers), and the next turn is timed:

* STT: a caller's turn said by eSpeak NG in real time, from the VAD's end of speech to
  the transcript; baselines: the healthy cloud (answers at once: the chain's own cost)
  and PocketSphinx alone (the local recognizer's own time).
* TTS: a sentence, from the request to its whole audio; baselines: the healthy cloud and
  eSpeak NG alone.

Then "back": how many turns after the cloud recovers until it serves again (livekit
probes the provider it left with each turn; the turn after a good probe is its).
Prints the median and the worst of ``N`` runs per case.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from livekit.agents import tts

from agent.config import Settings
from agent.providers.espeak_tts import ESpeakTTS
from agent.providers.fallback import (
    FallbackOptions,
    fallback_stt,
    fallback_tts,
    session_conn_options,
)
from agent.providers.kinds import AnySTT
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.providers.registry import apply_hints, load_vad
from tests.fake_providers import FakeCloudSTT, FakeCloudTTS, State, tone_share
from tests.speech_turns import TurnStream

HINTS = ["opening hours", "book a table"]
SENTENCE = "We're open from seven in the morning until six in the evening."
Case = State | None  # None: the local provider alone


def settings(timeout_s: float) -> Settings:
    values = {"FRONTDESK_STT": "local,local", "FRONTDESK_TTS": "local,local"}
    return Settings.model_validate({**values, "FRONTDESK_FALLBACK_TIMEOUT": timeout_s})


async def stt_case(s: Settings, case: Case) -> tuple[float, int]:
    """(seconds of the timed turn, turns until the cloud served again after recovering)."""
    vad = load_vad()
    cloud = FakeCloudSTT()
    members: list[AnySTT] = [PocketSphinxSTT()] if case is None else [cloud, PocketSphinxSTT()]
    model = fallback_stt(members, FallbackOptions.of(s), vad)
    apply_hints(model, HINTS)
    conn = session_conn_options(s).stt_conn_options
    async with model.stream(conn_options=conn) as stream:
        call = TurnStream(stream)
        try:
            await call.turn()  # healthy (and the decoders built)
            if case not in (None, "up"):
                cloud.service.state = case
            timed = await call.turn()
            if case in (None, "up"):
                return timed.seconds, 0
            cloud.service.state = "up"
            for back in range(1, 6):
                if (await call.turn()).text == cloud.transcript:
                    return timed.seconds, back
            return timed.seconds, -1
        finally:
            await call.aclose()


async def tts_case(s: Settings, case: Case) -> tuple[float, int]:
    cloud = FakeCloudTTS()
    options = FallbackOptions.of(s)
    chain = ESpeakTTS() if case is None else fallback_tts([cloud, ESpeakTTS()], options)
    conn = session_conn_options(s).tts_conn_options

    async def say() -> tuple[bool, float]:
        started = time.monotonic()
        frame = await chain.synthesize(SENTENCE, conn_options=conn).collect()
        seconds = time.monotonic() - started
        await asyncio.sleep(frame.duration)  # played out before the next, as in a call
        return tone_share(frame) > 0.9, seconds

    try:
        await say()
        if case not in (None, "up"):
            cloud.service.state = case
        _, seconds = await say()
        if case in (None, "up"):
            return seconds, 0
        cloud.service.state = "up"
        for back in range(1, 6):
            if (await say())[0]:
                return seconds, back
        return seconds, -1
    finally:
        if isinstance(chain, tts.FallbackAdapter):
            await chain.aclose()


def report(name: str, label: str, results: list[tuple[float, int]]) -> None:
    times = [t for t, _ in results]
    backs = sorted({b for _, b in results})
    back = f"   back after {'/'.join(map(str, backs))} turn(s)" if backs != [0] else ""
    print(
        f"{name:4} {label:38} median {statistics.median(times):6.3f} s"
        f"   worst {max(times):6.3f} s{back}"
    )


async def main(runs: int, timeout_s: float) -> None:
    s = settings(timeout_s)
    cases: list[tuple[str, Case]] = [
        ("local provider alone (baseline)", None),
        ("cloud healthy (baseline)", "up"),
        ("cloud down: refuses at once", "down"),
        ("cloud stalled: never answers", "stalled"),
    ]
    print(f"fallback timeout {timeout_s:g} s, {runs} runs per case")
    kinds: list[tuple[str, Callable[[Settings, Case], Awaitable[tuple[float, int]]]]] = [
        ("STT", stt_case),
        ("TTS", tts_case),
    ]
    for kind, run in kinds:
        for label, case in cases:
            results = [await run(s, case) for _ in range(runs)]
            report(kind, label, results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1.0, help="FRONTDESK_FALLBACK_TIMEOUT")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.timeout))
