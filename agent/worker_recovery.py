"""The worker's main process resumes a call whose job process died (see
:mod:`agent.recovery`): killed, out of memory, or crashed in native code. Livekit's
process pool tells it as soon as the process is gone; a job that ended on its own exits
cleanly and is left alone, and so are the jobs of a draining worker (SIGTERM): a call
still going at the drain's bound is ended and finalized, not resumed."""

from __future__ import annotations

import asyncio
import logging

from livekit.agents import AgentServer
from livekit.agents.ipc.job_executor import JobExecutor, JobStatus

from .config import Settings
from .control.dispatch import livekit_api
from .recovery import redispatch

logger = logging.getLogger("frontdesk.recovery")

_tasks: set[asyncio.Task[None]] = set()


def watch_job_processes(server: AgentServer, settings: Settings) -> None:
    """Dispatch the agent again to the room of each job whose process exits abnormally.
    Call once the server runs (its ``worker_started`` event)."""
    # livekit-agents has no public event for a job process's exit; its process pool has
    pool = server._proc_pool

    def closed(proc: JobExecutor) -> None:
        job = proc.running_job
        if job is None or proc.status is not JobStatus.FAILED:
            return
        if server.draining:  # a call cut at the drain's bound was ended, not lost
            return
        logger.error(
            "job process died mid-call",
            extra={"call_id": job.job.room.name, "job_id": job.job.id},
        )
        task = asyncio.get_running_loop().create_task(
            _resume(
                settings,
                room=job.job.room.name,
                metadata=job.job.metadata,
                lost=job.accept_arguments.identity,
            )
        )
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    pool.on("process_closed", closed)


async def _resume(settings: Settings, *, room: str, metadata: str, lost: str) -> None:
    lkapi = livekit_api(settings)
    try:
        await redispatch(
            lkapi,
            room=room,
            agent_name=settings.agent_name,
            metadata=metadata,
            lost=lost,
            by="worker",
        )
    except Exception:  # LiveKit unreachable: the dispatcher's webhook path may still
        logger.exception("could not dispatch the agent again", extra={"call_id": room})
    finally:
        await lkapi.aclose()
