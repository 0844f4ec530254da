"""The AgentServer and the job entrypoint that serves one room.

Per room: resolve the tenant (from the dispatch or room metadata, else the number a SIP
caller dialled) and load its flow; a room no tenant serves, a bad tenant or flow, or a flow
that needs an LLM when none is configured is refused: logged, and the caller is told so
politely before the agent hangs up. Otherwise build the speech pipeline, and
run the :class:`FlowAgent` on an ``AgentSession``; with an LLM configured the flow runs
LLM-assisted.
Logs of the job carry the call id (the room name).
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache, partial

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess, llm

from .capture.sweeper import SpoolSweeper
from .capture.worker import capture_call, run_postcall
from .config import Settings, load_settings
from .errors import FlowLoadError, TenantError, UnknownTenantError
from .flow.assist import LlmAssistant
from .flow.runtime import FlowAgent
from .providers.registry import apply_hints, build_tts, load_vad
from .session import Pipeline, prepare_call
from .sip.answered import is_outbound, wait_until_answered
from .sip.keypad import attach_keypad
from .store import Store
from .tenants import SORRY, RoomKeys, TenantRegistry
from .tenants.check import report_webhooks
from .transcript import attach_transcript_log

logger = logging.getLogger("frontdesk.worker")

UNAVAILABLE = "Sorry, we can't take your call right now. Please try again later. Goodbye."
PARTICIPANT_WAIT_S = 30.0


def prewarm(proc: JobProcess) -> None:
    """Load the models once per worker process, before any call arrives."""
    proc.userdata["vad"] = load_vad()
    if _process_settings().kb_embeddings:  # hybrid knowledge search's sentence encoder
        from .knowledge.embed import encoder

        encoder()


@cache
def _process_settings() -> Settings:
    """Settings of this job process (read from the environment the worker passed down)."""
    return load_settings()


async def entrypoint(ctx: JobContext) -> None:
    """Serve one room. Module-level so job processes can import it."""
    settings = _process_settings()
    ctx.log_context_fields = {"call_id": ctx.room.name, "job_id": ctx.job.id}
    try:
        keys = await room_keys(ctx)
        # file reads and validation off the call's event loop
        plan = await asyncio.to_thread(prepare_call, settings, keys)
    except UnknownTenantError as e:
        logger.error("refusing call: no tenant for this room", extra={"reason": str(e)})
        await apologise(ctx, settings, SORRY)
        return
    except (TenantError, FlowLoadError) as e:
        logger.error("refusing call: configuration is invalid", extra={"reason": str(e)})
        await apologise(ctx, settings, UNAVAILABLE)
        return
    except Exception:  # a bug in preparing the call: the caller still hears why it ends
        logger.exception("refusing call: it could not be prepared")
        await apologise(ctx, settings, UNAVAILABLE)
        return
    # The flow greets whoever is there: a web visitor or a meeting's attendee may join
    # after the agent (a SIP caller is in the room first). Wait for them: livekit holds
    # the agent's audio until someone subscribes, but a transcript stream opened before
    # they joined never reaches them (their screen would miss the greeting).
    try:
        caller = await asyncio.wait_for(ctx.wait_for_participant(), PARTICIPANT_WAIT_S)
    except TimeoutError:
        logger.info("nobody joined the room; leaving", extra={"waited_s": PARTICIPANT_WAIT_S})
        ctx.shutdown(reason="nobody joined")
        return
    # an outbound call: the callee's phone rings; greet them once they answer
    outbound = is_outbound(ctx.job.metadata or ctx.job.room.metadata)
    ring_s = settings.sip_ring_timeout_s + 15
    if outbound and not await wait_until_answered(ctx.room, caller, ring_s):
        logger.info("the phone was not answered; leaving")
        ctx.shutdown(reason="not answered")
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
    capture = await capture_call(ctx, settings, plan, session)
    machine = plan.machine(sink=capture.recorder)
    model = session.llm
    assistant = LlmAssistant(model) if plan.assisted and isinstance(model, llm.LLM) else None
    agent = FlowAgent(
        machine,
        set_hints=partial(apply_hints, pipeline.stt),
        hang_up=hang_up,
        assistant=assistant,
        on_turn=capture.turns.caller_turn,
        prepare=plan.prepare_turn,
    )
    await session.start(agent=agent, room=ctx.room)
    if plan.source == "sip":  # a phone caller may answer number questions on the keypad
        attach_keypad(ctx.room, agent, capture.turns.caller_turn)


async def room_keys(ctx: JobContext) -> RoomKeys:
    """What the room says about its tenant: the dispatch's or room's metadata, else the
    first participant's SIP attributes (the number the caller dialled)."""
    metadata = ctx.job.metadata or ctx.job.room.metadata
    keys = RoomKeys.from_room(metadata)
    if keys.first() is not None:
        return keys
    await ctx.connect()
    try:
        participant = await asyncio.wait_for(ctx.wait_for_participant(), PARTICIPANT_WAIT_S)
    except TimeoutError:
        return keys  # nobody came: the default tenant, if any
    return RoomKeys.from_room(metadata, participant.attributes)


async def apologise(ctx: JobContext, settings: Settings, line: str) -> None:
    """Tell the caller politely that the call cannot be taken, then hang up. Best effort:
    a failure here is logged, never raised (the refusal is already logged)."""
    try:
        await ctx.connect()
        session: AgentSession[None] = AgentSession(tts=build_tts(settings))
        await session.start(agent=Agent(instructions="Apologise."), room=ctx.room)
        await session.say(line, allow_interruptions=False).wait_for_playout()
        await asyncio.sleep(0.5)  # let the last audio leave the transport
        await session.aclose()
    except Exception:
        logger.exception("could not apologise to the caller")
    finally:
        await ctx.delete_room()


def _call_load(max_calls: int, server: AgentServer) -> float:
    return min(len(server.active_jobs) / max_calls, 1.0)


_background_tasks: set[asyncio.Task[None]] = set()


def _start_background(settings: Settings) -> None:
    """The worker's own work beside its jobs (in the main process, once it runs): report
    the tenants' unsigned webhooks, then sweep the spools calls left behind."""
    task = asyncio.get_running_loop().create_task(_background(settings), name="spool-sweeper")
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def _background(settings: Settings) -> None:
    await asyncio.to_thread(report_webhooks, TenantRegistry(settings.tenants_dir))
    store = Store.open(settings)

    async def postcall(call_id: str) -> None:
        await run_postcall(call_id, settings)

    try:
        await SpoolSweeper(settings, store, postcall).run()
    finally:
        await store.close()


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
    server.on("worker_started", partial(_start_background, settings))
    return server
