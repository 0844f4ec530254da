"""The demo's scoring and the caller's ear, on synthetic inputs."""

from __future__ import annotations

import numpy as np
import pytest
from livekit import rtc

from agent.demo.ear import Segmenter
from agent.demo.report import DemoReport, Turn, recall

pytestmark = pytest.mark.unit


def frame(amplitude: float, ms: int = 10, rate: int = 16000) -> rtc.AudioFrame:
    n = rate * ms // 1000
    samples = (np.sin(np.arange(n) / 5.0) * amplitude).astype(np.int16)
    return rtc.AudioFrame(samples.tobytes(), rate, 1, n)


def test_recall_counts_said_words_heard() -> None:
    assert recall("We're open Tuesday to Sunday", "we're open to sunday") == pytest.approx(3 / 4)
    assert recall("Crumb & Co", "crumb and co") == 1.0
    assert recall("Goodbye!", "") == 0.0


def test_report_passes_only_when_both_sides_understood_and_call_ended() -> None:
    report = DemoReport(
        room="r",
        hung_up=True,
        turns=[
            Turn("agent", "Hello there caller", "hello there caller", 0.0, understood=True),
            Turn(
                "caller", "opening hours", "opening hours", 3.0, latency_ms=400.0, understood=True
            ),
        ],
    )
    assert report.ok
    report.turns[1].understood = False
    assert not report.ok
    report.turns[1].understood = True
    report.hung_up = False
    assert not report.ok
    summary = report.to_json()
    assert summary["latency_ms"] == {"count": 1, "p50": 400.0, "p95": 400.0, "max": 400.0}


def test_segmenter_splits_utterances_at_sentence_pauses() -> None:
    seg = Segmenter(hangover_s=0.26)
    t, done = 0.0, []
    for amplitude, count in (
        (0, 20),
        (8000, 100),
        (0, 18),
        (8000, 50),
        (0, 40),
        (8000, 30),
        (0, 40),
    ):
        for _ in range(count):
            t += 0.01
            if (u := seg.push(frame(amplitude), now=t)) is not None:
                done.append(u)
    # the 180 ms gap (a comma) does not split; the 400 ms gaps do
    assert len(done) == 2
    assert done[0].start == pytest.approx(0.20, abs=0.02)
    assert done[0].end == pytest.approx(1.88, abs=0.02)
    assert not seg.active


def test_spoken_edges_exclude_synthesizer_padding() -> None:
    from agent.demo.caller import RATE, _silent_edges

    silence = np.zeros(RATE // 4, dtype=np.int16)  # 250 ms
    tone = (np.sin(np.arange(RATE) / 5.0) * 8000).astype(np.int16)  # 1 s
    lead, trail = _silent_edges(np.concatenate([silence, tone, silence, silence]))
    assert lead == pytest.approx(0.25, abs=0.011)
    assert trail == pytest.approx(0.50, abs=0.011)
    assert _silent_edges(silence) == (0.0, 0.0)
