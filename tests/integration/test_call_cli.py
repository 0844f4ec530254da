"""``frontdesk call`` against a LiveKit server with no agent worker: it says so, clearly,
within its join timeout, instead of waiting silently for an agent that never comes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from agent.cli import _call
from agent.config import Settings, load_settings
from agent.errors import DemoError
from agent.stack import LocalStack, StackPorts

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(120)]


@pytest_asyncio.fixture
async def server_only() -> AsyncIterator[tuple[LocalStack, Settings]]:
    """livekit-server alone: rooms can be made, but no worker takes the dispatch."""
    settings = load_settings(check_keys=False)
    stack = LocalStack(
        settings, ports=StackPorts.ephemeral(), with_worker=False, with_dispatcher=False
    )
    async with stack:
        yield stack, settings.model_copy(update={"livekit_url": stack.url})


async def test_call_says_when_the_agent_never_joins(
    server_only: tuple[LocalStack, Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    _, settings = server_only
    started = time.monotonic()
    with pytest.raises(DemoError) as caught:
        await _call(settings, "crumb-and-co", None, join_timeout=3)
    waited = time.monotonic() - started
    message = str(caught.value)
    assert "the agent did not join room call-crumb-and-co-" in message
    assert "within 3 s" in message and "worker running" in message
    assert settings.agent_name in message and settings.livekit_url in message
    assert waited < 60  # it gave up at its timeout, not at some distant default
    assert "waiting for the agent" in capsys.readouterr().out
