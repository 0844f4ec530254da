"""Crash recovery gap: a call's job process SIGKILLed mid-booking, to the resumed agent's
first word, beside a new call's dispatch to its greeting.

Usage: ``uv run python bench/recovery.py [--kills 5]``

Starts the local stack (livekit-server, the dispatcher and one worker, as
``frontdesk up`` does) and places ``--kills`` booking calls to the example bakery with
the simulated caller. In each, once the caller has said the party size, the job process
serving the call is killed (``SIGKILL``, as the out-of-memory killer does). The worker
notices, dispatches the agent again, and the new job rebuilds the call from the store
and says "Sorry about that, where were we: ..." (``agent/recovery.py``).

- gap: the kill to the first agent audio the caller receives after it (the resume line;
  the dead agent says nothing more): the silence the caller hears;
- baseline: the same calls' voice-to-voice latency (the end of each other caller line
  to the agent's first audio): the silence a caller hears at every turn anyway.

Prints the median and the worst of each, and whether every call still booked its table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from agent.config import load_settings
from agent.demo.call import run_demo_call
from agent.stack import LocalStack, StackPorts
from tests.crashes import KillAfterLine

TENANT = "crumb-and-co"


async def one_call(stack: LocalStack, worker_pid: int) -> tuple[float | None, list[float], bool]:
    """(gap, voice-to-voice latencies of the other turns, booked) of one call killed
    after the party size."""
    settings = stack.settings.model_copy(update={"livekit_url": stack.url})
    kill = KillAfterLine(worker_pid, line="four")
    report = await run_demo_call(settings, stack.url, tenant=TENANT, after_line=kill)
    booked = report.hung_up and "booked in" in " ".join(t.said for t in report.turns)
    killed = next(t for t in report.turns if t.speaker == "caller" and t.said == "four")
    turns = [t.latency_ms / 1000 for t in report.turns if t is not killed and t.latency_ms]
    return kill.gap_s, turns, booked


def row(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:34}{'-':>9}{'-':>9}"
    return f"{label:34}{statistics.median(values):9.2f}{max(values):9.2f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    data = Path(tempfile.mkdtemp(prefix="frontdesk-recovery-"))
    settings = load_settings(check_keys=False).model_copy(update={"data_dir": data})
    env = {"FRONTDESK_DATA_DIR": str(data)}
    gaps: list[float] = []
    turns: list[float] = []
    booked = 0
    async with LocalStack(
        settings, ports=StackPorts.ephemeral(), log_dir=data / "logs", extra_env=env, progress=print
    ) as stack:
        worker = next(s for s in stack.services if s.name == "worker")
        assert worker.pid is not None
        for n in range(args.kills):
            gap, latencies, ok = await one_call(stack, worker.pid)
            print(f"call {n + 1}: gap {gap}, booked {ok}")
            gaps += [gap] if gap is not None else []
            turns += latencies
            booked += ok
    print(f"\nrecovery over {len(gaps)} kills (s)       median    worst")
    print(row("kill -> resume line (gap)", gaps))
    print(row(f"baseline: voice-to-voice ({len(turns)} turns)", turns))
    print(f"booked with every line: {booked}/{args.kills}")
    print(f"load average at start {load:.1f}, at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
