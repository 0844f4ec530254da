"""What the worker's Prometheus metrics cost per turn, beside the turn they measure.

Usage: ``uv run python bench/metrics_turn.py [--turns 20000]``

Each recorded turn calls :meth:`agent.metrics.CallMetrics.turn` with a turn's latency
parts (five, as livekit measures a caller's and an agent's turn) and an STT confidence.
In a job process prometheus_client writes them to memory-mapped files in
``PROMETHEUS_MULTIPROC_DIR`` (what livekit's Prometheus server sums); this bench runs it
that way, in a fresh process with its own directory, and prints the mean and p99 cost per
turn. The baseline beside it is the flow engine's own cost of a turn (the same machine
and scenario replay as ``bench/flow_turns.py``, demo_bakery), about 0.4 ms: the metrics
must be a small fraction of it, and nothing beside the ~1 s a voice turn takes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = {
    "e2e_latency": 0.98,
    "end_of_turn_delay": 0.62,
    "transcription_delay": 0.21,
    "tts_node_ttfb": 0.03,
    "playback_latency": 0.02,
}


def _time_turns(turns: int) -> list[float]:
    """(In a process whose PROMETHEUS_MULTIPROC_DIR is set) seconds per recorded turn."""
    from agent.metrics import CallMetrics

    metrics = CallMetrics("crumb-and-co", "web")
    metrics.started()
    took = []
    for i in range(turns):
        started = time.perf_counter()
        metrics.turn(PARTS, 0.5 + (i % 50) / 100)
        took.append(time.perf_counter() - started)
    metrics.ended()
    return took


def _flow_turn_us() -> float:
    """The flow engine's mean cost of a demo_bakery turn, in microseconds, as
    ``bench/flow_turns.py`` measures it."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "flow_turns.py"), "--repeat", "5"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("demo_bakery"))
    numbers = [w for w in line.split() if w.replace(".", "", 1).isdigit()]
    return float(numbers[1])  # turns, then the mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        took = _time_turns(args.turns)
        print(statistics.mean(took) * 1e6, statistics.quantiles(took, n=100)[98] * 1e6)
        return
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder}
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--turns", str(args.turns)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    mean_us, p99_us = (float(x) for x in out.split())
    flow_us = _flow_turn_us()
    print(f"{args.turns} turns, prometheus_client in multiprocess mode (as in a job process)")
    print(f"metrics per turn                  mean {mean_us:8.1f} us   p99 {p99_us:8.1f} us")
    print(f"baseline: flow engine per turn    mean {flow_us:8.1f} us   (demo_bakery)")
    print(f"share of the flow engine's cost   {mean_us / flow_us:.1%}")


if __name__ == "__main__":
    main()
