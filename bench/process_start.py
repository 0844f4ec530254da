"""How long the worker's job processes take to start, idle and beside a CPU burner.

Usage: ``uv run python bench/process_start.py [--runs 3] [--burn]``

Each run starts ``python worker.py start`` (its LiveKit server unreachable: the process
pool warms up all the same), reads its JSON log and prints, per job process, livekit's
``process initialized`` ``elapsed_time`` (what ``initialize_process_timeout`` bounds: the
child's imports not preloaded in the forkserver, then our prewarm) and our own
``prewarm_s``; then it stops the worker. ``--burn`` runs a Python busy loop on one core
beside it, as a loaded machine would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE_PROCESSES = 2  # livekit's default in production: one per core here


def _burn() -> None:
    while True:
        pass


def one_run(timeout_s: float = 90.0) -> tuple[list[float], list[float]]:
    """(livekit's init seconds, our prewarm seconds) of the idle processes of one start;
    a process that missed the timeout counts as infinity."""
    env = {
        **os.environ,
        "LIVEKIT_URL": "ws://127.0.0.1:9",
        "FRONTDESK_WORKER_PORT": "0",
        "FRONTDESK_DATA_DIR": tempfile.mkdtemp(prefix="bench-proc-"),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), "start"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    inits: list[float] = []
    prewarms: list[float] = []
    deadline = time.monotonic() + timeout_s
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if record.get("message") == "process initialized":
                    inits.append(float(record["elapsed_time"]))
                elif record.get("message") == "process prewarmed":
                    prewarms.append(float(record["prewarm_s"]))
                elif record.get("message") == "error initializing process":
                    inits.append(float("inf"))  # it missed initialize_process_timeout
            if len(inits) >= IDLE_PROCESSES or time.monotonic() > deadline:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    return inits, prewarms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burn", action="store_true", help="a busy loop on one core beside")
    args = parser.parse_args()
    burner = mp.Process(target=_burn, daemon=True) if args.burn else None
    if burner is not None:
        burner.start()
    inits: list[float] = []
    prewarms: list[float] = []
    try:
        for _ in range(args.runs):
            got_inits, got_prewarms = one_run()
            inits += got_inits
            prewarms += got_prewarms
    finally:
        if burner is not None:
            burner.terminate()
    load = os.getloadavg()[0]
    print(f"burner: {'on' if args.burn else 'off'}, load average (1 min) {load:.2f}")
    for name, values in (("process init (livekit)", inits), ("prewarm (ours)", prewarms)):
        if values:
            print(
                f"{name}: n={len(values)} median {statistics.median(values):.2f} s, "
                f"max {max(values):.2f} s"
            )
        else:
            print(f"{name}: no samples")


if __name__ == "__main__":
    main()
