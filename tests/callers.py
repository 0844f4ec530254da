"""Helpers for tests that place a call through the real stack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.config import Settings
from agent.control.dispatch import dispatch_call, livekit_api, participant_token
from agent.demo.caller import SimulatedCaller
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.stack import LocalStack


def settings_for(stack: LocalStack, settings: Settings) -> Settings:
    return settings.model_copy(update={"livekit_url": stack.url})


@asynccontextmanager
async def call(
    stack: LocalStack, settings: Settings, tenant: str
) -> AsyncIterator[tuple[SimulatedCaller, str]]:
    """Dispatch the agent to a new room for ``tenant`` and join it as the caller."""
    s = settings_for(stack, settings)
    lkapi = livekit_api(s)
    try:
        placed = await dispatch_call(lkapi, s, tenant=tenant)
    finally:
        await lkapi.aclose()
    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    await caller.join(stack.url, participant_token(s, room=placed.room, identity="caller"))
    try:
        yield caller, placed.room
    finally:
        await caller.leave()
        await ear.aclose()


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
