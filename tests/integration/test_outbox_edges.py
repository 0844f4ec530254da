"""Outbox edges on real SQLite and Postgres against a real webhook endpoint.

- An endpoint that stays down keeps its notification pending for the retry horizon
  (``FRONTDESK_OUTBOX_HORIZON_HOURS``, default 24 h; backoff capped by
  ``FRONTDESK_OUTBOX_MAX_BACKOFF``), not for the ~7.5 minutes of five claims; past the
  horizon it fails, and ``frontdesk outbox retry`` revives it for another horizon.
- An endpoint slower than the timeout (``FRONTDESK_WEBHOOK_TIMEOUT``) gets one request
  per claim, not three: a timed-out send is not retried in place (the endpoint may have
  taken it), it is counted on the row and sent again later with the same key.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agent.config import load_settings
from agent.postcall.channels import Channels, WebhookChannel
from agent.postcall.messages import WebhookMessage
from agent.postcall.outbox import OutboxProcessor, RetryPolicy
from agent.store import Store
from agent.store.outbox import NewNotification, enqueue, get
from agent.store.tables import OutboxRow, utcnow
from tests.postcall_support import AnyWebhookUnsigned, WebhookSink, write_hook_tenant

pytestmark = pytest.mark.integration


def note(url: str, key: str) -> NewNotification:
    message = WebhookMessage(url=url, event="call.analyzed", body={"key": key})
    return NewNotification(
        tenant="t1", call_id=None, channel="webhook", target=url, idempotency_key=key,
        payload=message.model_dump(mode="json"),
    )  # fmt: skip


def quick(policy: RetryPolicy) -> RetryPolicy:
    """The deployment's policy with its waits shrunk (the test cannot wait for hours)."""
    return replace(policy, initial_s=0.001, max_wait_s=0.001, requeue_s=0.0)


async def test_an_endpoint_down_for_long_keeps_its_notification_for_the_horizon(
    store_url: str, tmp_path: Path
) -> None:
    settings = load_settings(check_keys=False)
    policy = RetryPolicy.from_settings(settings)
    assert policy.horizon >= timedelta(hours=24)
    assert (
        policy.requeue_delay(1000) == timedelta(seconds=policy.max_requeue_s) <= timedelta(hours=1)
    )
    store = Store.from_url(store_url)
    try:
        async with WebhookSink(statuses=[503] * 60) as hook:
            async with store.transaction() as s:
                row_id = await enqueue(s, note(hook.url, "down-long"))
            assert row_id is not None
            channels = Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned()))
            processor = OutboxProcessor(store, channels, policy=quick(policy))
            for _ in range(12):  # twelve claims: far more than the five that failed it
                await processor.run_once()
            async with store.transaction() as s:
                row = await get(s, row_id)
            assert row is not None and (row.status, row.attempts) == ("pending", 12)
            # the horizon passes (the row was made 25 hours ago): the next failure is final
            async with store.transaction() as s:
                old = utcnow() - timedelta(hours=25)
                await s.execute(
                    update(OutboxRow).where(OutboxRow.id == row_id).values(created_at=old)
                )
            assert (await processor.run_once()).failed == 1
            # the endpoint is fixed; `frontdesk outbox retry` revives the row
            hook.statuses.clear()
            tenants = write_hook_tenant(tmp_path / "tenants", hook.url)
            env = {**os.environ, "FRONTDESK_TENANTS_DIR": str(tenants)}
            if store_url.startswith("sqlite"):
                env["FRONTDESK_DATA_DIR"] = str(Path(store_url.removeprefix("sqlite:///")).parent)
            else:
                env["DATABASE_URL"] = store_url
            for command in (["outbox", "retry", str(row_id)], ["outbox", "run"]):
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", "from agent.cli import main; main()", *command, env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                )  # fmt: skip
                out = (await proc.communicate())[0].decode()
                assert proc.returncode == 0 and "Traceback" not in out, out
            assert "delivered 1" in out, out
        async with store.transaction() as s:
            row = await get(s, row_id)
        assert row is not None and row.status == "delivered"
        assert hook.delivered_keys() == ["down-long"]
    finally:
        await store.close()


async def test_a_timed_out_send_is_counted_and_sent_again_later_with_the_same_key(
    store_url: str,
) -> None:
    store = Store.from_url(store_url)
    try:
        async with WebhookSink(delay_s=1.5) as hook:
            async with store.transaction() as s:
                row_id = await enqueue(s, note(hook.url, "slow-1"))
            assert row_id is not None
            webhook = WebhookChannel(directory=AnyWebhookUnsigned(), timeout_s=0.3)
            policy = quick(RetryPolicy())
            processor = OutboxProcessor(store, Channels(email=None, webhook=webhook), policy=policy)
            first = await processor.run_once()
            await asyncio.sleep(2.0)  # the endpoint finishes the request it was sent
            assert len(hook.received) == 1  # one request for one claim, not one per try
            assert first.timed_out == 1 and first.retried == 1
            async with store.transaction() as s:
                row = await get(s, row_id)
            assert row is not None and (row.status, row.timeouts) == ("pending", 1)
            assert "did not answer within 0.3 s" in (row.last_error or "")
            hook.delay_s = 0.0
            assert (await processor.drain()).delivered == 1
        keys = [h["Frontdesk-Idempotency-Key"] for h, _, _ in hook.received]
        assert keys == ["slow-1", "slow-1"]  # the same key, for the receiver to dedupe
    finally:
        await store.close()


def test_the_timeout_and_the_horizon_are_settings() -> None:
    settings = load_settings(
        check_keys=False,
        webhook_timeout_s=3,
        outbox_horizon_hours=48,
        outbox_max_backoff_s=120,
    )
    policy = RetryPolicy.from_settings(settings)
    assert (policy.horizon, policy.max_requeue_s) == (timedelta(hours=48), 120)
    from agent.postcall.channels import build_channels

    assert build_channels(settings).webhook.timeout_s == 3  # type: ignore[attr-defined]
