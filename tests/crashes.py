"""Killing a call's job process mid-call, as an out-of-memory kill or a crash does: for
the crash-recovery test and ``bench/recovery.py``."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

import psutil

from agent.demo.caller import SimulatedCaller, Spoken


def job_process(worker_pid: int, room: str) -> psutil.Process | None:
    """The worker's job process serving ``room``: the one holding the call's spool file
    open (``spool/<room>-<suffix>.jsonl``, locked for the call's life)."""
    for child in psutil.Process(worker_pid).children(recursive=True):
        try:
            files = child.open_files()
        except psutil.Error:
            continue
        if any(os.path.basename(f.path).startswith(f"{room}-") for f in files):
            return child
    return None


@dataclass
class KillAfterLine:
    """An ``after_line`` hook of :func:`agent.demo.call.run_demo_call`: SIGKILLs the job
    process serving the call once the caller has said ``line`` (before the agent can
    answer it, so the caller never speaks to an empty room), once."""

    worker_pid: int
    line: str
    killed_at: float | None = None
    caller: SimulatedCaller | None = None

    async def __call__(self, caller: SimulatedCaller, spoken: Spoken) -> None:
        if self.killed_at is not None or spoken.text != self.line:
            return
        victim = job_process(self.worker_pid, caller.room.name)
        assert victim is not None, f"no job process serves room {caller.room.name}"
        os.kill(victim.pid, signal.SIGKILL)
        self.killed_at, self.caller = time.time(), caller

    @property
    def gap_s(self) -> float | None:
        """From the kill to the first agent audio the caller heard after it (the resume
        line's first word: the dead agent says nothing more)."""
        if self.killed_at is None or self.caller is None:
            return None
        first = self.caller.first_agent_audio_after(self.killed_at)
        return None if first is None else first - self.killed_at
