"""Several outbox processors at once, on real SQLite and Postgres: in one process with
their own connection pools, and as two ``frontdesk outbox run`` processes. Every
notification is delivered, and none twice."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.postcall.channels import Channels, WebhookChannel
from agent.postcall.messages import WebhookMessage
from agent.postcall.outbox import OutboxProcessor, RetryPolicy
from agent.store import Store
from agent.store.engine import SQLITE_FILE
from agent.store.outbox import NewNotification, enqueue
from agent.store.postcall import outbox_counts
from tests.postcall_support import AnyWebhookUnsigned, WebhookSink, write_hook_tenant

pytestmark = pytest.mark.integration


async def test_two_processors_at_once_send_nothing_twice(store_url: str) -> None:
    total = 60
    stores = [Store.from_url(store_url) for _ in range(3)]
    try:
        async with WebhookSink() as hook:
            async with stores[0].transaction() as s:
                for i in range(total):
                    message = WebhookMessage(url=hook.url, event="call.analyzed", body={"i": i})
                    await enqueue(s, NewNotification(
                        tenant="t1", call_id=None, channel="webhook", target=hook.url,
                        idempotency_key=f"key-{i}", payload=message.model_dump(mode="json"),
                    ))  # fmt: skip
            processors = [
                OutboxProcessor(
                    store,
                    Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                    policy=RetryPolicy(),
                    worker_id=f"p{n}",
                    batch=4,
                )
                for n, store in enumerate(stores[1:])
            ]
            results = await asyncio.gather(*(p.drain() for p in processors))
        sent = Counter(hook.delivered_keys())
        assert len(sent) == total
        assert max(sent.values()) == 1
        assert sum(r.delivered for r in results) == total
        assert all(r.delivered > 0 for r in results)  # both really took part
        async with stores[0].transaction() as s:
            assert await outbox_counts(s) == {"delivered": total}
    finally:
        for store in stores:
            await store.close()


async def test_two_outbox_run_processes_at_once_send_nothing_twice(
    store_url: str, tmp_path: Path
) -> None:
    """Two ``frontdesk outbox run`` processes drain one outbox behind a slow endpoint."""
    total = 24
    store = Store.from_url(store_url)
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(tmp_path), "FRONTDESK_LOG_LEVEL": "ERROR"}
    if store_url.startswith("sqlite"):  # the embedded store: FRONTDESK_DATA_DIR/frontdesk.db
        assert Path(store_url.removeprefix("sqlite:///")) == tmp_path / SQLITE_FILE
    else:
        env["DATABASE_URL"] = store_url
    try:
        async with WebhookSink(delay_s=0.2) as hook:
            tenants = write_hook_tenant(tmp_path / "tenants", hook.url)
            env["FRONTDESK_TENANTS_DIR"] = str(tenants)
            async with store.transaction() as s:
                for i in range(total):
                    message = WebhookMessage(url=hook.url, event="call.analyzed", body={"i": i})
                    await enqueue(s, NewNotification(
                        tenant="t1", call_id=None, channel="webhook", target=hook.url,
                        idempotency_key=f"key-{i}", payload=message.model_dump(mode="json"),
                    ))  # fmt: skip
            command = [sys.executable, "-c", "from agent.cli import main; main()"]
            runs = [
                await asyncio.create_subprocess_exec(
                    *command,
                    "outbox",
                    "run",
                    "--batch",
                    "1",
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.STDOUT,
                )
                for _ in range(2)
            ]
            outputs = [(await run.communicate())[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        sent = Counter(hook.delivered_keys())
        assert len(sent) == total and max(sent.values()) == 1
        counts = [int(re.search(r"delivered (\d+)", out).group(1)) for out in outputs]  # type: ignore[union-attr]
        assert sum(counts) == total
        assert min(counts) > 0, outputs  # the two really ran at the same time
    finally:
        await store.close()
