"""Capture wired into the worker: one call's recorder, started when the room's session
is built and finalized when the job shuts down, then the post-call hook the worker gives
(the post-call pipeline, which sits above the capture)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from livekit import rtc
from livekit.agents import AgentSession, AgentStateChangedEvent, CloseEvent, JobContext

from ..config import Settings
from ..identities import is_staff
from ..session import CallPlan
from ..store import Store
from ..store.calls import NewCall, new_call_id
from ..store.migrate import ensure_embedded_schema
from ..store.usage import load_prices
from ..tenants.resolve import normalize_number
from . import spool
from .audio import AudioCapture, CallAudio, RecordingPolicy, in_progress_dir
from .recorder import CallRecorder
from .resume import ResumedCall
from .session_hooks import SessionCapture, record_usage
from .storage import build_storage
from .sweeper import PostcallHook

logger = logging.getLogger("frontdesk.capture")


@dataclass(frozen=True)
class CallCapture:
    recorder: CallRecorder  # the flow machine's event sink
    turns: SessionCapture  # the flow agent hands it each caller turn
    resumed: ResumedCall | None = None  # the interrupted call this job goes on with


async def capture_call(
    ctx: JobContext,
    settings: Settings,
    plan: CallPlan,
    session: AgentSession[None],
    *,
    postcall: PostcallHook,
    resumed: ResumedCall | None = None,
) -> CallCapture:
    """Start recording the call (or go on recording the ``resumed`` one, see
    :mod:`.resume`); finalization and ``postcall`` (for this call, and for the calls
    whose spools it recovered) run at job shutdown."""
    store = Store.open(settings)
    prices = await asyncio.to_thread(load_prices, settings.prices_file)
    call = (
        resumed.call
        if resumed is not None
        else NewCall(
            id=new_call_id(ctx.room.name),
            tenant=plan.tenant.id,
            source=plan.source,
            room=ctx.room.name,
            started_at=datetime.now(UTC),
            flow_id=plan.flow.id,
            campaign=plan.campaign,
            called_number=plan.called_number,
        )
    )
    recorder = CallRecorder(
        store,
        call,
        data_dir=settings.data_dir,
        prices=prices,
        prepare=partial(ensure_embedded_schema, store.engine.url),
        after=(resumed.turn_seq, resumed.event_seq) if resumed is not None else (0, 0),
    )
    await asyncio.to_thread(recorder.spool.open)  # file I/O off the call's event loop
    recorder.start()
    turns = SessionCapture(recorder)
    turns.attach(session)
    audio = _call_audio(settings, plan, session, recorder)
    _watch_participants(ctx.room, session, recorder)
    # a previous worker's unflushed spools (the store was down, or it was killed)
    recovery = asyncio.create_task(spool.recover(store, spool.spool_dir(settings.data_dir), prices))
    closed: list[CloseEvent] = []
    session.on("close", closed.append)

    async def finish(reason: str) -> None:
        if audio is not None:
            await audio.finish(call.started_at)
        turns.flush()
        record_usage(recorder, session)
        failed = bool(closed and closed[0].error is not None)
        status = "failed" if failed else "completed"
        end_reason = str(closed[0].reason.value) if closed else reason
        stored = await recorder.close(
            ended_at=datetime.now(UTC), status=status, end_reason=end_reason
        )
        recovered = (await asyncio.gather(recovery, return_exceptions=True))[0]
        # calls whose end waited in a spool get their post-call work now, after this one
        due = [call.id] if stored else []
        due += recovered if isinstance(recovered, list) else []
        for call_id in due:
            await postcall(call_id)
        await store.close()

    ctx.add_shutdown_callback(finish)
    logger.info(
        "recording call",
        extra={"call_id": call.id, "store": store.dialect, "resumed": resumed is not None},
    )
    return CallCapture(recorder, turns, resumed)


def _call_audio(
    settings: Settings, plan: CallPlan, session: AgentSession[None], recorder: CallRecorder
) -> CallAudio | None:
    config = plan.tenant.config.recording
    if not config.enabled:
        return None
    days = config.retention_days or settings.retention_days
    policy = RecordingPolicy(True, config.requires_consent, days)
    path = in_progress_dir(settings.data_dir) / f"{recorder.call.id}.ogg"
    return CallAudio(AudioCapture(session, path), policy, build_storage(settings), recorder)


def _watch_participants(
    room: rtc.Room, session: AgentSession[None], recorder: CallRecorder
) -> None:
    """Record who joins: those already in the room once the session runs (the room
    connects inside ``session.start``, which fires no join events for them), then each
    newcomer. Recording the same participant twice changes nothing."""

    def joined(p: rtc.RemoteParticipant) -> None:
        if p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            return
        sip = p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
        number = normalize_number(p.attributes.get("sip.phoneNumber", "")) if sip else None
        # a person of the staff who took the call (agent.humans; the dispatcher names them)
        role = "human" if is_staff(p.identity) else "caller"
        recorder.add_participant(p.identity, role, datetime.now(UTC), number=number)

    def running(_ev: AgentStateChangedEvent) -> None:
        session.off("agent_state_changed", running)
        for participant in list(room.remote_participants.values()):
            joined(participant)

    session.on("agent_state_changed", running)
    room.on("participant_connected", joined)
