"""Helpers for tests that place a call through the real stack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from livekit import api

from agent.config import Settings
from agent.demo.call import dial
from agent.demo.caller import SimulatedCaller
from agent.record.facts import CallFacts
from agent.record.vocabulary import Source
from agent.stack import LocalStack
from agent.store.analyses import lead_for_call
from agent.store.calls import list_calls
from agent.store.engine import Store
from agent.store.postcall import load_call_facts
from agent.store.tables import Lead

DEMO_TENANT = "crumb-demo"  # crumb-and-co with flows/demo_bakery.yaml (see conftest)


def settings_for(stack: LocalStack, settings: Settings) -> Settings:
    return settings.model_copy(update={"livekit_url": stack.url})


def call(
    stack: LocalStack, settings: Settings, tenant: str, *, source: Source | None = None
) -> AbstractAsyncContextManager[tuple[SimulatedCaller, str]]:
    """Dispatch the agent to a new room for ``tenant`` and join it as the caller."""
    return dial(settings, stack.url, tenant, source=source)


async def wait_for_agent_speech(caller: SimulatedCaller, timeout: float = 90) -> float:
    """Wait until the agent's audio starts; returns that time."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if caller.agent_state == "speaking" or caller.heard or caller.ear_active:
            return time.time()
        await asyncio.sleep(0.02)
    raise AssertionError(f"the agent did not speak within {timeout}s")


def agent_said(caller: SimulatedCaller) -> str:
    return " ".join(t.text for t in caller.transcripts if not t.own_speech)


def caller_transcribed(caller: SimulatedCaller) -> str:
    return " ".join(t.text for t in caller.transcripts if t.own_speech)


async def stored_call(
    settings: Settings,
    room: str,
    tenant: str,
    *,
    until: Callable[[CallFacts], bool],
    timeout: float = 60.0,
) -> CallFacts:
    """The call in ``room`` as the worker stored it (turns and flow events are written as
    they happen), once ``until`` holds for it."""
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    facts: CallFacts | None = None
    try:
        while facts is None or not until(facts):
            assert time.monotonic() < deadline, f"the call in {room} never got there: {facts}"
            await asyncio.sleep(0.5)
            async with store.transaction() as s:
                calls = [c for c in await list_calls(s, tenant=tenant) if c.room == room]
                facts = await load_call_facts(s, calls[0].id) if calls else None
        return facts
    finally:
        await store.close()


def next_saturday_at_eleven(now: datetime, zone: str = "Europe/London") -> datetime:
    """What "saturday at eleven in the morning" means at ``now``, in the bakery's zone."""
    local = now.astimezone(ZoneInfo(zone))
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7)
    at = datetime.combine(saturday, clock(11), local.tzinfo)
    return at if at > local else at + timedelta(days=7)


def booked_table_slots(started_at: datetime) -> dict[str, str]:
    """The slots of the demo script's booking (flows/receptionist.yaml), as stored."""
    return {
        "call_type": "booking",
        "party_size": "4",
        "booking_at": next_saturday_at_eleven(started_at).isoformat(),
        "name": "Peter Smith",
        "phone": "+442094601234",
        "booking_ok": "yes",
    }


async def agent_in_room(lkapi: api.LiveKitAPI, room: str, timeout: float) -> bool:
    """Wait until an agent participant is in ``room``."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room))
        if any(p.kind == api.ParticipantInfo.Kind.AGENT for p in listing.participants):
            return True
        await asyncio.sleep(0.2)
    return False


async def lead_of(settings: Settings, call_id: str, timeout: float = 90) -> Lead:
    """The call's lead, once the worker's post-call pipeline has scored it."""
    store = Store.open(settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                lead = await lead_for_call(s, call_id)
            if lead is not None:
                return lead
            assert time.monotonic() < deadline, f"no lead for {call_id}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()
