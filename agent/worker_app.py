"""The AgentServer and the job entrypoint that serves one room.

Per room: resolve the tenant and load its flow (refusing the room cleanly if either is
bad, or if the flow needs an LLM and none is configured), build the speech pipeline, and
run the :class:`FlowAgent` on an ``AgentSession``; with an LLM configured the flow runs
LLM-assisted.
Logs of the job carry the call id (the room name).
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache, partial

from livekit.agents import AgentServer, JobContext, JobProcess, llm

from .capture.worker import capture_call
from .config import Settings, load_settings
from .errors import FlowLoadError, TenantError
from .flow.assist import LlmAssistant
from .flow.runtime import FlowAgent
from .providers.registry import apply_hints, load_vad
from .session import Pipeline, prepare_call
from .transcript import attach_transcript_log

logger = logging.getLogger("frontdesk.worker")


def prewarm(proc: JobProcess) -> None:
    """Load the models once per worker process, before any call arrives."""
    proc.userdata["vad"] = load_vad()


@cache
def _process_settings() -> Settings:
    """Settings of this job process (read from the environment the worker passed down)."""
    return load_settings()


async def entrypoint(ctx: JobContext) -> None:
    """Serve one room. Module-level so job processes can import it."""
    settings = _process_settings()
    ctx.log_context_fields = {"call_id": ctx.room.name, "job_id": ctx.job.id}
    metadata = ctx.job.metadata or ctx.job.room.metadata
    try:
        # file reads and validation off the call's event loop
        plan = await asyncio.to_thread(prepare_call, settings, metadata)
    except (TenantError, FlowLoadError) as e:
        logger.error("refusing call: configuration is invalid", extra={"reason": str(e)})
        ctx.shutdown(reason=f"invalid configuration: {e}")
        return
    logger.info("call starting", extra={"tenant": plan.tenant.id, "flow": plan.flow.id})

    pipeline = Pipeline.build(settings, ctx.proc.userdata["vad"])
    session = pipeline.session(settings)
    attach_transcript_log(session)

    async def hang_up() -> None:
        # Deleting the room disconnects every participant: for SIP, the call hangs up.
        await ctx.delete_room()

    # the recorder stores turns and flow events as they happen; at shutdown it finalizes
    # the call and runs the post-call pipeline
    recorder = await capture_call(ctx, settings, plan, session)
    machine = plan.machine(sink=recorder)
    model = session.llm
    assistant = LlmAssistant(model) if plan.assisted and isinstance(model, llm.LLM) else None
    agent = FlowAgent(
        machine,
        set_hints=partial(apply_hints, pipeline.stt),
        hang_up=hang_up,
        assistant=assistant,
    )
    await session.start(agent=agent, room=ctx.room)


def _call_load(max_calls: int, server: AgentServer) -> float:
    return min(len(server.active_jobs) / max_calls, 1.0)


def build_server(settings: Settings | None = None) -> AgentServer:
    settings = settings or load_settings()
    server = AgentServer(
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
        port=settings.worker_port,
        host="127.0.0.1",
        max_retry=settings.connect_retries,
        # Capacity is counted in calls, not in CPU load: the machine's CPU is shared with
        # livekit-server and others, and a spike must not turn a call away.
        load_fnc=partial(_call_load, settings.max_calls),
        load_threshold=0.999,
        setup_fnc=prewarm,
        log_level=settings.log_level,
    )

    server.rtc_session(entrypoint, agent_name=settings.agent_name)
    return server
