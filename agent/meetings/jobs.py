"""The job function APScheduler stores by reference (``agent.meetings.jobs:fire``).

It runs in the scheduler's thread pool and hands the work to the dispatcher's event
loop, where the :class:`~.runner.MeetingRunner` registered by the running
:class:`~.scheduler.MeetingScheduler` does it. One dispatcher per process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .runner import Action, MeetingRunner

JOB_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class _Target:
    loop: asyncio.AbstractEventLoop
    runner: MeetingRunner


_targets: list[_Target] = []  # this process's one runner, when its dispatcher runs


def register(loop: asyncio.AbstractEventLoop, runner: MeetingRunner | None) -> None:
    _targets.clear()
    if runner is not None:
        _targets.append(_Target(loop, runner))


def fire(meeting_id: str, action: Action, sequence: int) -> None:
    target = _targets[0] if _targets else None
    if target is None:
        raise RuntimeError("no meeting runner in this process")
    done = asyncio.run_coroutine_threadsafe(
        target.runner.run(meeting_id, action, sequence), target.loop
    )
    done.result(timeout=JOB_TIMEOUT_S)
