"""Drive one demo call: dispatch the agent, let the simulated caller talk, build the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace

from ..config import Settings
from ..control.dispatch import dispatch_call, livekit_api, participant_token
from ..errors import DemoError, FrontdeskError
from ..providers.pocketsphinx_stt import PocketSphinxSTT
from ..session import prepare_call
from ..tenants.model import Source
from .caller import SimulatedCaller, Spoken, transcripts_between
from .lines import expected_phrases
from .report import DemoReport, Turn, recall, words

# What the caller says, in order, for each flow the demo can call: the receptionist books a
# table (flows/receptionist.yaml); the skeleton's demo flow asks about hours and specials.
BOOKING_SCRIPT: tuple[str, ...] = (
    "book a table",
    "four",
    "tomorrow at seven in the evening",
    "my name is peter smith",
    # "zero", not "oh": PocketSphinx hears eSpeak's "oh seven" as "oh two one" (digits
    # said as "zero" came through 9 times in 9 voices, "oh" in at most 5)
    "zero two zero nine four six zero one two three four",
    "yes",
)
BAKERY_SCRIPT: tuple[str, ...] = ("opening hours", "yes", "today's specials", "no thank you")
SCRIPTS: dict[str, tuple[str, ...]] = {"receptionist": BOOKING_SCRIPT, "demo_bakery": BAKERY_SCRIPT}

OnTurn = Callable[[Turn], None]


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
    script: Sequence[str] | None = None,
    on_turn: OnTurn = lambda _t: None,
    on_progress: Callable[[str], None] = lambda _m: None,
) -> DemoReport:
    """Call ``tenant`` and speak ``script`` (default: the script of the tenant's flow)."""
    if script is None:
        script = await asyncio.to_thread(script_for, settings, tenant)
    async with dial(settings, url, tenant) as (caller, room):
        on_progress(f"dispatched the agent to room {room}; the caller dials in")
        report = DemoReport(room=room)
        await _converse(caller, report, script, on_turn, time.time())
        try:
            await asyncio.wait_for(caller.disconnected.wait(), timeout=20)
            report.hung_up = True
        except TimeoutError:
            report.hung_up = False
    return report


def script_for(settings: Settings, tenant: str) -> tuple[str, ...]:
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
    caller: SimulatedCaller, report: DemoReport, script: Sequence[str], on_turn: OnTurn, t0: float
) -> None:
    since = t0
    # The first answer can take a while: the worker process loads its models.
    await caller.agent_turn_done(since, timeout=90)
    _agent_turn(caller, report, since, t0, on_turn)
    for line in script:
        if caller.disconnected.is_set():
            break
        spoken = await caller.say(line)
        await caller.agent_turn_done(spoken.end)
        _caller_turn(caller, report, spoken, t0, on_turn)
        _agent_turn(caller, report, spoken.end, t0, on_turn)


def _caller_turn(
    caller: SimulatedCaller, report: DemoReport, spoken: Spoken, t0: float, on_turn: OnTurn
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
    )
    report.turns.append(turn)
    on_turn(turn)


def _agent_turn(
    caller: SimulatedCaller, report: DemoReport, since: float, t0: float, on_turn: OnTurn
) -> None:
    said = transcripts_between(caller.transcripts, since, time.time(), own=False)
    heard_parts = [h for h in caller.heard if h.start >= since - 0.05]
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
