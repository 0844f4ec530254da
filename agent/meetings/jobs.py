"""The job functions APScheduler stores by reference (``agent.meetings.jobs:fire`` for
a meeting, ``agent.meetings.jobs:fire_call`` for a scheduled phone call).

They run in the scheduler's thread pool and hand the work to the dispatcher's event
loop, where the :class:`~.runner.MeetingRunner` (or the scheduled calls' runner)
registered by the running :class:`~.scheduler.MeetingScheduler` does it. One dispatcher
per process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from .runner import Action, MeetingRunner

JOB_TIMEOUT_S = 120.0
CALL_JOB_TIMEOUT_S = 600.0  # dialling waits for the answer (the ring timeout, at most 300 s)


class CallJobs(Protocol):
    """Places a scheduled phone call when its job fires."""

    async def fire(self, call_id: str) -> None: ...


@dataclass(frozen=True)
class _Target:
    loop: asyncio.AbstractEventLoop
    runner: MeetingRunner
    calls: CallJobs | None = None


_targets: list[_Target] = []  # this process's one runner, when its dispatcher runs


def register(
    loop: asyncio.AbstractEventLoop, runner: MeetingRunner | None, calls: CallJobs | None = None
) -> None:
    _targets.clear()
    if runner is not None:
        _targets.append(_Target(loop, runner, calls))


def fire_call(call_id: str) -> None:
    target = _targets[0] if _targets else None
    if target is None or target.calls is None:
        raise RuntimeError("no scheduled calls' runner in this process")
    done = asyncio.run_coroutine_threadsafe(target.calls.fire(call_id), target.loop)
    done.result(timeout=CALL_JOB_TIMEOUT_S)


def fire(meeting_id: str, action: Action, sequence: int) -> None:
    target = _targets[0] if _targets else None
    if target is None:
        raise RuntimeError("no meeting runner in this process")
    done = asyncio.run_coroutine_threadsafe(
        target.runner.run(meeting_id, action, sequence), target.loop
    )
    done.result(timeout=JOB_TIMEOUT_S)
