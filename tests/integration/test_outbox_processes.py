"""Four ``frontdesk outbox run --forever`` processes over one Postgres outbox of 400 rows:
each notification is delivered exactly once. The rows appear in one transaction while all
four are polling, so every claim races the others (with ``FOR UPDATE SKIP LOCKED``
removed from the claim, this test sees rows sent two or three times)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from agent.postcall.messages import WebhookMessage
from agent.store import Store
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.outbox import NewNotification, enqueue
from agent.store.postcall import outbox_counts
from tests.pg import PostgresServer
from tests.postcall_support import WebhookSink, write_hook_tenant

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

PROCESSES = 4
ROWS = 400

CLIENTS = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND backend_type = 'client backend'"
)


async def _wait_for(what: str, predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert callable(predicate)
        if await predicate():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_four_processes_deliver_each_of_400_notifications_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    await asyncio.to_thread(postgres.psql, "CREATE DATABASE outbox_four")
    url = postgres.url("outbox_four")
    await asyncio.to_thread(upgrade, normalize_url(url))
    store = Store.from_url(url)
    runs: list[asyncio.subprocess.Process] = []
    try:
        async with WebhookSink(delay_s=0.005) as hook:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "FRONTDESK_DATA_DIR": str(tmp_path),
                "FRONTDESK_TENANTS_DIR": str(write_hook_tenant(tmp_path / "tenants", hook.url)),
                "FRONTDESK_OUTBOX_POLL": "0.05",
                "FRONTDESK_LOG_LEVEL": "ERROR",
            }
            async with store.transaction() as s:
                before = int((await s.execute(CLIENTS)).scalar_one())
            command = [sys.executable, "-c", "from agent.cli import main; main()"]
            argv = [*command, "outbox", "run", "--forever", "--batch", "5"]
            for _ in range(PROCESSES):
                out = asyncio.subprocess.PIPE
                run = await asyncio.create_subprocess_exec(
                    *argv, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
                )
                runs.append(run)

            async def all_polling() -> bool:  # each process holds a connection once it polls
                async with store.transaction() as s:
                    return int((await s.execute(CLIENTS)).scalar_one()) >= before + PROCESSES

            await _wait_for("four polling processes", all_polling, timeout=90)
            async with store.transaction() as s:  # all rows appear at once, mid-poll
                for i in range(ROWS):
                    message = WebhookMessage(url=hook.url, event="call.analyzed", body={"i": i})
                    await enqueue(s, NewNotification(
                        tenant="t1", call_id=None, channel="webhook", target=hook.url,
                        idempotency_key=f"key-{i}", payload=message.model_dump(mode="json"),
                    ))  # fmt: skip

            async def all_delivered() -> bool:
                async with store.transaction() as s:
                    return await outbox_counts(s) == {"delivered": ROWS}

            await _wait_for("every row delivered", all_delivered, timeout=120)
            await asyncio.sleep(1.0)  # a duplicate send in flight lands before we count
            for run in runs:
                run.send_signal(signal.SIGTERM)
            outputs = [(await run.communicate())[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0] * PROCESSES, outputs
        sent = Counter(hook.delivered_keys())
        twice = {key: n for key, n in sent.items() if n > 1}
        assert len(sent) == ROWS
        assert twice == {}, f"{len(twice)} of {ROWS} notifications sent more than once"
        counts = [int(m.group(1)) for out in outputs if (m := re.search(r"delivered (\d+)", out))]
        assert len(counts) == PROCESSES, outputs
        assert sum(counts) == ROWS
        assert min(counts) > 0, counts  # all four really raced for the rows
    finally:
        for run in runs:
            if run.returncode is None:
                run.kill()
                await run.wait()
        await store.close()
