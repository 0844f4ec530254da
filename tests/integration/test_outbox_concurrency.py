"""Several outbox processors at once, each with its own connection pool, on real SQLite
and Postgres: every notification is delivered, and none twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from agent.postcall.channels import Channels, WebhookChannel
from agent.postcall.messages import WebhookMessage
from agent.postcall.outbox import OutboxProcessor, RetryPolicy
from agent.store import Store
from agent.store.outbox import NewNotification, enqueue
from agent.store.postcall import outbox_counts
from tests.postcall_support import WebhookSink

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
                    Channels(email=None, webhook=WebhookChannel()),
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
