"""The worker with no LiveKit server to talk to: it says so and keeps retrying."""

from __future__ import annotations

import asyncio
import os
import re
import sys

import pytest

from agent.config import ROOT
from agent.stack import free_port

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(120)]


async def _start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    """``python worker.py start`` with ``env``, its output (both streams) piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "worker.py"),
        "start",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_worker_retries_an_unreachable_server_without_crashing() -> None:
    env = {
        **os.environ,
        "LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}",
        "FRONTDESK_WORKER_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    proc = await _start_worker(env)
    assert proc.stdout is not None
    lines: list[str] = []

    async def read() -> None:
        assert proc.stdout is not None
        while raw := await proc.stdout.readline():
            lines.append(raw.decode(errors="replace"))

    reader = asyncio.create_task(read())
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            if sum("failed to connect to livekit" in line for line in lines) >= 2:
                break
            await asyncio.sleep(0.2)
        output = "".join(lines)
        assert len(re.findall(r"failed to connect to livekit, retrying", output)) >= 2, output
        assert proc.returncode is None, "the worker exited instead of retrying"
        assert "Traceback" not in output
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        await reader


async def test_worker_refuses_a_bad_setting_by_name() -> None:
    env = {**os.environ, "FRONTDESK_STT": "deepgarm"}
    proc = await _start_worker(env)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    text = out.decode()
    assert "FRONTDESK_STT" in text
    assert "Traceback" not in text
