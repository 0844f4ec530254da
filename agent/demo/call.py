"""Drive one demo call: dispatch the agent, let the simulated caller talk, build the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from ..config import Settings
from ..control.dispatch import dispatch_call, livekit_api, participant_token
from ..errors import DemoError, FrontdeskError
from ..providers.pocketsphinx_stt import PocketSphinxSTT
from ..record.vocabulary import Source
from ..session import prepare_call
from .caller import SimulatedCaller, Spoken, transcripts_between
from .lines import expected_phrases
from .report import DemoReport, Turn, recall, words
from .script import SCRIPTS, Line, ScriptCursor

OnTurn = Callable[[Turn], None]
# called as soon as the caller has said a line (tests and benches act on the call then)
AfterLine = Callable[[SimulatedCaller, Spoken], Awaitable[None]]
AGENT_JOIN_TIMEOUT = 30.0  # seconds for a registered worker to take the job and join


async def expect_agent(
    caller: SimulatedCaller, room: str, settings: Settings, timeout: float = AGENT_JOIN_TIMEOUT
) -> None:
    """Wait for the agent to join ``room``; raises DemoError saying what to check when it
    does not within ``timeout`` seconds (no worker running, or one registered under
    another agent name or with another LiveKit server)."""
    if await caller.wait_for_agent(timeout):
        return
    raise DemoError(
        f"the agent did not join room {room} within {timeout:.0f} s. Is a worker running "
        f"(`frontdesk up`, or `python worker.py start`) with agent name "
        f"{settings.agent_name!r}, connected to {settings.livekit_url}? The worker's log "
        "says why a job failed."
    )


@asynccontextmanager
async def dial(
    settings: Settings, url: str, tenant: str, *, source: Source | None = None
) -> AsyncIterator[tuple[SimulatedCaller, str]]:
    """Dispatch the agent to a new room for ``tenant`` (coming in as ``source``, which
    chooses among the tenant's flows) and join it as the simulated caller.

    The caller's ear expects the lines of the room's flow (see :mod:`.lines`).
    """
    settings = replace_url(settings, url)
    lkapi = livekit_api(settings)
    try:
        call = await dispatch_call(lkapi, settings, tenant=tenant, source=source)
    finally:
        await lkapi.aclose()
    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    metadata = json.dumps({"tenant": tenant, **({"source": source} if source else {})})
    with contextlib.suppress(FrontdeskError):  # an unknown tenant: the ear hears free speech
        plan = await asyncio.to_thread(prepare_call, settings, metadata)
        caller.expect(expected_phrases(plan))
    try:
        await caller.join(url, participant_token(settings, room=call.room, identity="caller"))
        yield caller, call.room
    finally:
        await caller.leave()
        await ear.aclose()


async def run_demo_call(
    settings: Settings,
    url: str,
    *,
    tenant: str,
    script: Sequence[Line] | None = None,
    on_turn: OnTurn = lambda _t: None,
    on_progress: Callable[[str], None] = lambda _m: None,
    after_line: AfterLine | None = None,
) -> DemoReport:
    """Call ``tenant`` and speak ``script`` (default: the script of the tenant's flow),
    saying a line again when the agent asks for it again (see :mod:`.script`)."""
    if script is None:
        script = await asyncio.to_thread(script_for, settings, tenant)
    async with dial(settings, url, tenant) as (caller, room):
        on_progress(f"dispatched the agent to room {room}; the caller dials in")
        await expect_agent(caller, room, replace_url(settings, url), timeout=90)
        report = DemoReport(room=room)
        await _converse(caller, report, script, on_turn, time.time(), after_line=after_line)
        try:
            await asyncio.wait_for(caller.disconnected.wait(), timeout=20)
            report.hung_up = True
        except TimeoutError:
            report.hung_up = False
    return report


def script_for(settings: Settings, tenant: str) -> tuple[Line, ...]:
    """The caller's lines for the flow ``tenant`` answers with; raises FrontdeskError."""
    flow_id = prepare_call(settings, json.dumps({"tenant": tenant})).flow.id
    script = SCRIPTS.get(flow_id)
    if script is None:
        known = ", ".join(sorted(SCRIPTS))
        raise DemoError(
            f"tenant {tenant!r} answers with flow {flow_id!r}, which has no demo script "
            f"(scripted flows: {known}); try --tenant crumb-and-co"
        )
    return script


def replace_url(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"livekit_url": url})


async def _converse(
    caller: SimulatedCaller,
    report: DemoReport,
    script: Sequence[Line],
    on_turn: OnTurn,
    t0: float,
    *,
    after_line: AfterLine | None = None,
) -> None:
    # The first answer can take a while: the worker process loads its models.
    await caller.agent_turn_done(t0, timeout=90)
    _agent_turn(caller, report, t0, t0, on_turn)
    cursor = ScriptCursor(script)
    judged: asyncio.Task[None] | None = None
    while cursor.line is not None and not caller.disconnected.is_set():
        spoken = await caller.say(cursor.text)
        if after_line is not None:
            await after_line(caller, spoken)
        await caller.agent_turn_done(spoken.end, drain=False)
        if judged is not None:
            await judged  # the previous agent turn is reported before this caller turn
        _caller_turn(caller, report, spoken, t0, on_turn, repeat=cursor.repeats)
        # The caller answers as soon as the agent has finished speaking, as a person does:
        # it follows the agent's words (its transcript) and does not wait for its ear, which
        # on a loaded machine decodes a long confirmation slower than the flow's no-input
        # timeout. What the ear made of them is judged while the caller speaks its next line.
        ended = time.time()
        said = transcripts_between(caller.transcripts, spoken.end, ended, own=False)
        cursor.heard(said)
        judged = asyncio.create_task(
            _judge_agent_turn(caller, report, t0, on_turn, since=spoken.end, until=ended)
        )
    if judged is not None:
        await judged


async def _judge_agent_turn(
    caller: SimulatedCaller,
    report: DemoReport,
    t0: float,
    on_turn: OnTurn,
    *,
    since: float,
    until: float,
) -> None:
    await caller.drain_decodes()
    _agent_turn(caller, report, since, t0, on_turn, until=until)


def _caller_turn(
    caller: SimulatedCaller,
    report: DemoReport,
    spoken: Spoken,
    t0: float,
    on_turn: OnTurn,
    *,
    repeat: int,
) -> None:
    heard = transcripts_between(caller.transcripts, spoken.start, time.time(), own=True)
    first_audio = caller.first_agent_audio_after(spoken.end)
    turn = Turn(
        speaker="caller",
        said=spoken.text,
        heard=heard,
        at_s=spoken.start - t0,
        latency_ms=(first_audio - spoken.end) * 1000 if first_audio else None,
        understood=words(heard) == words(spoken.text),
        repeat=repeat,
    )
    report.turns.append(turn)
    on_turn(turn)


def _agent_turn(
    caller: SimulatedCaller,
    report: DemoReport,
    since: float,
    t0: float,
    on_turn: OnTurn,
    *,
    until: float | None = None,
) -> Turn:
    """The agent's turn from ``since`` to ``until`` (now by default): what it said, and
    what the caller's ear heard of it."""
    until = time.time() if until is None else until
    said = transcripts_between(caller.transcripts, since, until, own=False)
    heard_parts = [h for h in caller.heard if since - 0.05 <= h.start < until]
    heard = " ".join(h.text for h in heard_parts if h.text)
    start = min((h.start for h in heard_parts), default=since)
    turn = Turn(
        speaker="agent",
        said=said,
        heard=heard,
        at_s=start - t0,
        understood=bool(said) and recall(said, heard) >= report.heard_threshold,
    )
    report.turns.append(replace(turn))
    on_turn(turn)
    return turn
