"""Helpers for tests that place a call through the real stack."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager

from agent.config import Settings
from agent.demo.call import dial
from agent.demo.caller import SimulatedCaller
from agent.stack import LocalStack


def settings_for(stack: LocalStack, settings: Settings) -> Settings:
    return settings.model_copy(update={"livekit_url": stack.url})


def call(
    stack: LocalStack, settings: Settings, tenant: str
) -> AbstractAsyncContextManager[tuple[SimulatedCaller, str]]:
    """Dispatch the agent to a new room for ``tenant`` and join it as the caller."""
    return dial(settings, stack.url, tenant)


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
