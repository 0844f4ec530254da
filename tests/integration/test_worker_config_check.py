"""The worker checks every tenant and flow when it starts, and again when a file
changes: each problem is logged with its ``file:line``, and the worker keeps running
(the others are served; a broken tenant's calls are refused at call time)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from agent.config import ROOT
from agent.stack import free_port

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(180)]

GOOD = "name: Good\nflow: demo_bakery\n"
TYPO = "name: Typo\nflow: demo_bakery\nrecording:\n  retention_dayz: 3\n"


def _world(tmp_path: Path) -> tuple[Path, Path]:
    tenants, flows = tmp_path / "tenants", tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "demo_bakery.yaml", flows / "demo_bakery.yaml")
    text = (ROOT / "flows" / "demo_bakery.yaml").read_text()
    broken = text.replace("id: demo_bakery", "id: broken").replace("next: topic", "next: topik")
    (flows / "broken.yaml").write_text(broken)
    for tenant_id, yaml in (("good", GOOD), ("typo", TYPO)):
        (tenants / tenant_id).mkdir(parents=True)
        (tenants / tenant_id / "tenant.yaml").write_text(yaml)
    return tenants, flows


class Output:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.lines: list[str] = []
        self._task = asyncio.create_task(self._read(proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while raw := await proc.stdout.readline():
            self.lines.append(raw.decode(errors="replace"))

    async def wait_for(self, text: str, count: int = 1, timeout: float = 90) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if sum(text in line for line in self.lines) >= count:
                return "".join(self.lines)
            await asyncio.sleep(0.2)
        raise AssertionError(f"no {text!r} in the worker's output:\n{''.join(self.lines)}")


async def test_broken_tenants_and_flows_are_reported_at_start_and_on_reload(
    tmp_path: Path,
) -> None:
    tenants, flows = _world(tmp_path)
    env = {
        **os.environ,
        "LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}",  # none there: the worker retries
        "FRONTDESK_WORKER_PORT": str(free_port()),
        "FRONTDESK_TENANTS_DIR": str(tenants),
        "FRONTDESK_FLOWS_DIR": str(flows),
        "FRONTDESK_DEFAULT_TENANT": "good",
        "FRONTDESK_DATA_DIR": str(tmp_path / "var"),
        "FRONTDESK_CONFIG_WATCH": "0.5",
        "PYTHONUNBUFFERED": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "worker.py"),
        "start",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = Output(proc)
    try:
        text = await output.wait_for("tenants and flows checked")
        assert f"{tenants}/typo/tenant.yaml:4: recording.retention_dayz" in text, text
        line = (flows / "broken.yaml").read_text().splitlines().index("    next: topik") + 1
        assert f"{flows}/broken.yaml:{line}:" in text and "topik" in text, text
        assert "good/tenant.yaml" not in text
        # a tenant broken while the worker runs is reported with its line too
        (tenants / "good" / "tenant.yaml").write_text(GOOD + "timezone: Europe\n")
        text = await output.wait_for("tenants and flows reloaded")
        assert f"{tenants}/good/tenant.yaml:3: timezone: unknown timezone" in text, text
        assert proc.returncode is None, "the worker stopped over a broken tenant"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 60)
