"""The AgentServer and the job entrypoint that serves one room.

Per room: resolve the tenant (from the dispatch or room metadata, else the number a SIP
caller dialled) and load its flow; a room no tenant serves, a bad tenant or flow, or a flow
that needs an LLM when none is configured is refused: logged, and the caller is told so
politely before the agent hangs up. Otherwise take the speech pipeline of the tenant's
providers (built once per process, see :class:`~.session.Pipelines`), and run the
:class:`FlowAgent` on an ``AgentSession``; with an LLM chosen the flow runs LLM-assisted.
Logs of the job carry the call id (the room name).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import cache, partial

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess, room_io
from livekit.agents.worker import _DefaultLoadCalc

from .budget import Allowance
from .budget.call import check_budget, watch_budget
from .capture.recorder import CallRecorder
from .capture.resume import ResumedCall, resumable_call, wants_resume
from .capture.session_hooks import SessionCapture
from .capture.sweeper import SpoolSweeper
from .capture.worker import capture_call
from .config import Settings, load_settings
from .errors import FlowLoadError, TenantError, UnknownTenantError
from .flow.actions import TransferResult
from .flow.assist import LlmAssistant
from .flow.runtime import FlowAgent
from .humans import HumanTranscriber, tell_owner_of_missed_handoff, watch_humans
from .meetings.assistant import run_assistant_call
from .meetings.attendees import AttendeesAudio, end_when_everyone_left
from .metrics import CALLS_REFUSED, CallMetrics
from .orphans import die_with_parent
from .postcall.pipeline import postcall_hook
from .providers.choice import ProviderChoice
from .providers.registry import apply_hints, build_tts, load_vad
from .recovery import count_redispatch
from .session import CallPlan, Pipeline, Pipelines, prepare_call
from .sip.answered import is_outbound, wait_until_answered
from .sip.keypad import attach_keypad
from .sip.transfer import transfer_caller
from .store import Store
from .tenants import SORRY, RoomKeys, TenantRegistry
from .tenants.check import report_webhooks
from .tenants.watch import watch_configuration
from .tracing import trace_call
from .transcript import attach_transcript_log
from .worker_recovery import watch_job_processes

logger = logging.getLogger("frontdesk.worker")

UNAVAILABLE = "Sorry, we can't take your call right now. Please try again later. Goodbye."
PARTICIPANT_WAIT_S = 30.0
MAX_WAIT_S = 3600.0


def participant_wait_s(metadata: str) -> float:
    """How long the agent waits for someone to join: a scheduled meeting's dispatch says
    (``wait_s``: its no-show grace), anything else waits PARTICIPANT_WAIT_S."""
    try:
        wait = json.loads(metadata or "{}").get("wait_s")
    except (ValueError, AttributeError):
        return PARTICIPANT_WAIT_S
    if isinstance(wait, int | float) and 0 < wait <= MAX_WAIT_S:
        return float(wait)
    return PARTICIPANT_WAIT_S


def prewarm(proc: JobProcess) -> None:
    """Ready a job process before any call arrives: tie it to its parent, load the VAD,
    build the deployment's pipeline (and warm its recognizer and voice in the background)
    and, with hybrid search, the sentence encoder. The modules are already imported: the
    forkserver preloads them (``preload_modules``), so this is all livekit's
    ``initialize_process_timeout`` has to cover. It logs how long it took."""
    started = time.perf_counter()
    die_with_parent()
    settings = _process_settings()
    vad_model = load_vad(settings.vad_silence_s)
    proc.userdata["vad"] = vad_model
    pipelines = Pipelines(settings, vad_model)
    pipeline = pipelines.get(ProviderChoice.of(settings))  # most tenants use it
    pipeline.stt.prewarm()  # PocketSphinx builds its decoders on its own thread
    pipeline.tts.prewarm()
    proc.userdata["pipelines"] = pipelines
    from .knowledge.checks import load_frequencies

    load_frequencies()  # the answer checks' word frequencies
    if settings.kb_embeddings:  # hybrid knowledge search's sentence encoder
        from .knowledge.embed import encoder

        encoder()
    logger.info("process prewarmed", extra={"prewarm_s": round(time.perf_counter() - started, 3)})


@cache
def _process_settings() -> Settings:
    """Settings of this job process (read from the environment the worker passed down)."""
    return load_settings()


async def entrypoint(ctx: JobContext) -> None:
    """Serve one room. Module-level so job processes can import it."""
    settings = _process_settings()
    ctx.log_context_fields = {"call_id": ctx.room.name, "job_id": ctx.job.id}
    plan = await _plan_or_refuse(ctx, settings)
    if plan is None:
        return
    budget = await _admit(ctx, settings, plan)
    if budget is None:
        return
    resumed = None
    if wants_resume(ctx.job.metadata):  # dispatched again: the call's agent died
        count_redispatch(ctx.job.metadata)
        # None (logged why): the caller is still there, so their call starts afresh
        resumed = await resumable_call(settings, ctx.room.name, plan.flow)
    logger.info("call starting", extra={"tenant": plan.tenant.id, "flow": plan.flow.id})
    _trace(ctx, settings, plan)
    await run_call(ctx, settings, plan, budget, resumed)


def _trace(ctx: JobContext, settings: Settings, plan: CallPlan) -> None:
    """Export the call's traces when a collector is configured; flushed at shutdown."""
    provider = trace_call(settings, call_id=ctx.room.name, tenant=plan.tenant.id)
    if provider is None:
        return

    async def flush(_reason: str) -> None:
        await asyncio.to_thread(provider.force_flush)

    ctx.add_shutdown_callback(flush)


async def _plan_or_refuse(ctx: JobContext, settings: Settings) -> CallPlan | None:
    """The room's call plan; None when the call was refused (logged, and the caller told
    politely before the agent hangs up)."""
    try:
        keys = await room_keys(ctx)
        # file reads and validation off the call's event loop
        return await asyncio.to_thread(prepare_call, settings, keys)
    except UnknownTenantError as e:
        logger.error("refusing call: no tenant for this room", extra={"reason": str(e)})
        CALLS_REFUSED.labels("unknown_tenant").inc()
        await apologise(ctx, settings, SORRY)
    except (TenantError, FlowLoadError) as e:
        logger.error("refusing call: configuration is invalid", extra={"reason": str(e)})
        CALLS_REFUSED.labels("invalid_configuration").inc()
        await apologise(ctx, settings, UNAVAILABLE)
    except Exception:  # a bug in preparing the call: the caller still hears why it ends
        logger.exception("refusing call: it could not be prepared")
        CALLS_REFUSED.labels("error").inc()
        await apologise(ctx, settings, UNAVAILABLE)
    return None


async def _admit(ctx: JobContext, settings: Settings, plan: CallPlan) -> Allowance | None:
    """Wait for the caller (and for an outbound call, their answer) and check the
    tenant's budget; None when the call is not to be served."""
    # The flow greets whoever is there: a web visitor or a meeting's attendee may join
    # after the agent (a SIP caller is in the room first). Wait for them: livekit holds
    # the agent's audio until someone subscribes, but a transcript stream opened before
    # they joined never reaches them (their screen would miss the greeting).
    wait_s = participant_wait_s(ctx.job.metadata)
    try:
        caller = await asyncio.wait_for(ctx.wait_for_participant(), wait_s)
    except TimeoutError:
        logger.info("nobody joined the room; leaving", extra={"waited_s": wait_s})
        ctx.shutdown(reason="nobody joined")
        return None
    except RuntimeError:  # livekit's "room disconnected": the room was closed meanwhile
        logger.info("the room closed before anyone joined; leaving")
        ctx.shutdown(reason="room closed")
        return None
    # an outbound call: the callee's phone rings; greet them once they answer
    outbound = is_outbound(ctx.job.metadata or ctx.job.room.metadata)
    ring_s = settings.sip_ring_timeout_s + 15
    if outbound and not await wait_until_answered(ctx.room, caller, ring_s):
        logger.info("the phone was not answered; leaving")
        ctx.shutdown(reason="not answered")
        return None
    budget = await check_budget(settings, plan.tenant)
    if budget.refused:
        logger.warning("refusing call: the month's budget is spent", extra={"month": budget.month})
        CALLS_REFUSED.labels("budget").inc()
        await apologise(ctx, settings, UNAVAILABLE)
        return None
    return budget


async def run_call(
    ctx: JobContext,
    settings: Settings,
    plan: CallPlan,
    budget: Allowance,
    resumed: ResumedCall | None = None,
) -> None:
    """Build the call's session and run the flow on it, recorded and measured; a
    ``resumed`` call goes on where its dead job left it."""
    pipelines: Pipelines = ctx.proc.userdata["pipelines"]
    pipeline = await asyncio.to_thread(pipelines.get, plan.providers)
    if plan.meeting_assistant:  # several attendees, no flow: the meeting assistant
        await run_assistant_call(ctx, settings, plan, pipeline)
        return
    endpointing = pipeline.endpointing(settings)
    session = pipeline.session(settings, endpointing=endpointing)
    attach_transcript_log(session)

    async def hang_up() -> None:
        # Deleting the room disconnects every participant: for SIP, the call hangs up.
        await ctx.delete_room()

    async def transfer(number: str) -> TransferResult:
        return await transfer_caller(ctx.api, settings, ctx.room, number)

    # the recorder stores turns and flow events as they happen; at shutdown it finalizes
    # the call and runs the post-call pipeline
    capture = await capture_call(
        ctx, settings, plan, session, postcall=postcall_hook(settings), resumed=resumed
    )
    watch_call(ctx, plan, pipeline, session, capture.recorder)
    machine = plan.machine(sink=capture.recorder)
    model = pipeline.llm
    assistant = (
        LlmAssistant(model, instructions=plan.instructions)
        if plan.assisted and model is not None
        else None
    )
    handoff = plan.tenant.config.handoff
    agent = FlowAgent(
        machine,
        set_hints=partial(apply_hints, pipeline.stt),
        hang_up=hang_up,
        assistant=assistant,
        on_turn=capture.turns.caller_turn,
        prepare=plan.prepare_turn,
        handoff_wait_s=handoff.wait_s,
        on_handoff_timeout=partial(_missed_handoff, settings, plan, capture.recorder.call.id),
        transfer=transfer if plan.source == "sip" else None,
        resume=resumed.point if resumed is not None else None,
        endpointing=endpointing,
    )
    transcriber = HumanTranscriber(pipeline.stt, pipeline.vad_model, capture.recorder)
    watch_humans(ctx.room, agent, transcriber, handoff.announce)
    watch_budget(
        settings, plan.tenant, found=budget, session=session, agent=agent, recorder=capture.recorder
    )
    if plan.source == "meeting":  # the flow hears every attendee, each turn names who spoke
        await _start_meeting(ctx, session, agent, capture.turns)
    else:
        await session.start(agent=agent, room=ctx.room)
    if plan.source == "sip":  # a phone caller may answer number questions on the keypad
        attach_keypad(ctx.room, agent, capture.turns.caller_turn)


async def _start_meeting(
    ctx: JobContext, session: AgentSession[None], agent: FlowAgent, turns: SessionCapture
) -> None:
    """Start a discovery meeting's session on every attendee's audio, mixed; the meeting
    ends when the last attendee leaves (not the first)."""
    options = room_io.RoomOptions(audio_input=False, close_on_disconnect=False)
    await session.start(agent=agent, room=ctx.room, room_options=options)
    attendees = AttendeesAudio(ctx.room)
    attendees.start()
    session.input.audio = attendees
    turns.speaker_of = attendees.speaker_between

    async def closed(_reason: str) -> None:
        await attendees.aclose()

    ctx.add_shutdown_callback(closed)
    end_when_everyone_left(ctx.room, partial(ctx.shutdown, reason="everyone left"))


def _missed_handoff(settings: Settings, plan: CallPlan, call_id: str) -> None:
    """Nobody took the call in the tenant's wait time: the owner is emailed (in the
    background; the outbox delivers it, and retries)."""

    async def tell() -> None:
        store = Store.open(settings)
        try:
            await tell_owner_of_missed_handoff(store, plan.tenant, call_id)
            from .postcall.pipeline import deliver_due

            await deliver_due(store, settings, timeout_s=30.0)
        except Exception:
            logger.exception("missed handoff not reported", extra={"call_id": call_id})
        finally:
            await store.close()

    task = asyncio.get_running_loop().create_task(tell(), name="missed-handoff")
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


def watch_call(
    ctx: JobContext,
    plan: CallPlan,
    pipeline: Pipeline,
    session: AgentSession[None],
    recorder: CallRecorder,
) -> None:
    """Count the call in the metrics: active until the job shuts down, each recorded
    turn's latency parts and confidence, and the fallbacks its providers take."""
    metrics = CallMetrics(plan.tenant.id, plan.source)
    metrics.started()

    async def ended(_reason: str) -> None:
        metrics.ended()

    ctx.add_shutdown_callback(ended)
    recorder.on_turn(lambda turn: metrics.turn(dict(turn.latency or {}), turn.stt_confidence))
    metrics.watch_fallbacks(pipeline.stt, pipeline.tts, session.llm)


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


def load_share(settings: Settings, *, calls: int, cpu: float) -> float:
    """The worker's load for LiveKit (full at 1.0): its share of ``FRONTDESK_MAX_CALLS``
    calls or, with ``FRONTDESK_CPU_FULL`` set, the machine's CPU (0 to 1) as a share of
    it, whichever is higher. A dedicated machine too busy to start a job process in time
    then says so, rather than accepting calls it cannot start (LiveKit gives them to
    another worker)."""
    share = calls / settings.max_calls
    if settings.cpu_full is not None:
        share = max(share, cpu / settings.cpu_full)
    return min(share, 1.0)


def worker_load(settings: Settings, server: AgentServer) -> float:
    """:func:`load_share` of the server's calls and livekit's CPU average (2.5 s)."""
    cpu = _DefaultLoadCalc.get_load(server) if settings.cpu_full is not None else 0.0
    return load_share(settings, calls=len(server.active_jobs), cpu=cpu)


_background_tasks: set[asyncio.Task[None]] = set()


def _start_background(settings: Settings, server: AgentServer) -> None:
    """The worker's own work beside its jobs (in the main process, once it runs): resume
    the calls of job processes that die, check the tenants and flows (at start and when
    their files change), report the tenants' unsigned webhooks, and sweep the spools
    calls left behind."""
    watch_job_processes(server, settings)
    loop = asyncio.get_running_loop()
    watch = watch_configuration(settings.tenants_dir, settings.flows_dir, settings.config_watch_s)
    for coro, name in ((watch, "config-watch"), (_background(settings), "spool-sweeper")):
        task = loop.create_task(coro, name=name)
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)


async def _background(settings: Settings) -> None:
    await asyncio.to_thread(report_webhooks, TenantRegistry(settings.tenants_dir))
    store = Store.open(settings)

    try:
        await SpoolSweeper(settings, store, postcall_hook(settings)).run()
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
        load_fnc=partial(worker_load, settings),
        load_threshold=0.999,
        setup_fnc=prewarm,
        # The forkserver imports our modules once; each job process inherits them. Imported
        # in the job process instead, they took 6 to 11 s on a loaded 2-core machine, past
        # livekit's 10 s initialization timeout (bench/process_start.py).
        preload_modules=[__name__],
        initialize_process_timeout=settings.process_start_timeout_s,
        drain_timeout=settings.drain_timeout_s,
        log_level=settings.log_level,
        # livekit's own Prometheus server, summing the job processes' metrics
        prometheus_port=settings.metrics_port,
        prometheus_multiproc_dir=str(settings.data_dir / "prometheus")
        if settings.metrics_port is not None
        else None,
    )

    server.rtc_session(entrypoint, agent_name=settings.agent_name)
    server.on("worker_started", partial(_start_background, settings, server))
    return server
