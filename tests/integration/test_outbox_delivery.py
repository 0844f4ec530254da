"""The outbox processor against real servers, on real SQLite and Postgres: a webhook
that fails twice then succeeds is delivered exactly once; a permanent refusal and
exhausted retries end failed with the last error; a claim left by a dead processor is
taken over after its lease; SMTP lands in a real SMTP server."""

from __future__ import annotations

import asyncio
import email
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest

from agent.postcall.channels import Channels, SmtpChannel, WebhookChannel
from agent.postcall.messages import EmailMessage, WebhookMessage
from agent.postcall.outbox import OutboxProcessor, RetryPolicy
from agent.stack.mail import MailSink
from agent.store import Store
from agent.store.outbox import NewNotification, claim_due, enqueue, get, mark_delivered
from agent.store.postcall import list_outbox, outbox_counts
from tests.postcall_support import AnyWebhookUnsigned, WebhookSink

pytestmark = pytest.mark.integration

FAST = RetryPolicy(in_place=3, initial_s=0.01, max_wait_s=0.05, requeue_s=0.0, max_attempts=2)
# (max_attempts caps the claims so that "retries exhausted" comes at once; the deployment
# default has no cap and retries for the 24-hour horizon, see test_outbox_edges.py)


def webhook_note(url: str, key: str) -> NewNotification:
    message = WebhookMessage(url=url, event="call.analyzed", body={"key": key})
    return NewNotification(
        tenant="t1", call_id=None, channel="webhook", target=url, idempotency_key=key,
        payload=message.model_dump(mode="json"),
    )  # fmt: skip


async def enqueue_all(store: Store, notes: list[NewNotification]) -> list[int]:
    async with store.transaction() as s:
        return [i for n in notes if (i := await enqueue(s, n)) is not None]


async def test_fails_twice_then_succeeds_is_delivered_exactly_once(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with WebhookSink(statuses=[503, 500]) as hook:
            [row_id] = await enqueue_all(store, [webhook_note(hook.url, "call-9:webhook:1")])
            processor = OutboxProcessor(
                store,
                Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                policy=FAST,
            )
            stats = await processor.drain()
            again = await processor.drain()
        assert (stats.delivered, stats.retried, stats.failed) == (1, 0, 0)
        assert again.handled == 0
        assert [status for _, _, status in hook.received] == [503, 500, 200]
        assert hook.delivered_keys() == ["call-9:webhook:1"]
        assert {h["Frontdesk-Idempotency-Key"] for h, _, _ in hook.received} == {"call-9:webhook:1"}
        async with store.transaction() as s:
            row = await get(s, row_id)
        assert row is not None and (row.status, row.attempts, row.last_error) == (
            "delivered",
            1,
            None,
        )
    finally:
        await store.close()


async def test_refusals_and_exhausted_retries_end_failed_with_the_last_error(
    store_url: str,
) -> None:
    store = Store.from_url(store_url)
    try:
        async with WebhookSink(statuses=[404] + [500] * 6) as hook:
            refused, flaky = await enqueue_all(
                store, [webhook_note(hook.url, "k-refused"), webhook_note(hook.url, "k-flaky")]
            )
            processor = OutboxProcessor(
                store,
                Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                policy=FAST,
                batch=1,
            )
            stats = await processor.drain()
        assert (stats.delivered, stats.failed) == (0, 2)
        assert len(hook.received) == 1 + 2 * 3  # one refusal; two claims of three tries
        async with store.transaction() as s:
            failed = {r.idempotency_key: r for r in await list_outbox(s, status="failed")}
            counts = await outbox_counts(s)
        assert counts == {"failed": 2}
        assert failed["k-refused"].attempts == 1 and "answered 404" in (
            failed["k-refused"].last_error or ""
        )
        assert failed["k-flaky"].attempts == 2 and "answered 500" in (
            failed["k-flaky"].last_error or ""
        )
        assert refused != flaky
    finally:
        await store.close()


async def test_smtp_delivery_lands_in_a_real_smtp_server(store_url: str, tmp_path: Path) -> None:
    store = Store.from_url(store_url)
    try:
        with MailSink(tmp_path / "mail") as sink:
            smtp = SmtpChannel(host=sink.host, port=sink.port, sender="Desk <desk@crumb.example>")
            message = EmailMessage(
                purpose="owner_summary",
                to="owner@crumb.example",
                subject="New order",
                text="A cake for Friday.\n",
            )
            note = NewNotification(
                tenant="t1", call_id=None, channel="email", target=message.to,
                idempotency_key="call-3:owner_summary:x", payload=message.model_dump(mode="json"),
            )  # fmt: skip
            await enqueue_all(store, [note])
            processor = OutboxProcessor(
                store,
                Channels(email=smtp, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                policy=FAST,
            )
            stats = await processor.drain()
            [path] = sink.messages()
        assert stats.delivered == 1
        received = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert (received["To"], received["Subject"]) == ("owner@crumb.example", "New order")
        assert received["Message-ID"] == "<call-3.owner_summary.x@crumb.example>"
        assert received.get_body().get_content().strip() == "A cake for Friday."  # type: ignore[union-attr]
    finally:
        await store.close()


async def test_a_long_running_processor_delivers_rows_enqueued_later(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with WebhookSink() as hook:
            processor = OutboxProcessor(
                store,
                Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                policy=FAST,
            )
            stop = asyncio.Event()
            running = asyncio.create_task(processor.run_forever(stop, poll_s=0.05))
            await asyncio.sleep(0.2)  # it has polled an empty outbox
            await enqueue_all(
                store, [webhook_note(hook.url, "late-1"), webhook_note(hook.url, "late-2")]
            )
            async with asyncio.timeout(30):
                while len(hook.delivered_keys()) < 2:
                    await asyncio.sleep(0.05)
            stop.set()
            stats = await asyncio.wait_for(running, timeout=10)
        assert sorted(hook.delivered_keys()) == ["late-1", "late-2"]
        assert stats.delivered == 2
    finally:
        await store.close()


async def test_a_claim_left_by_a_dead_processor_is_delivered_by_another(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with WebhookSink() as hook:
            [row_id] = await enqueue_all(store, [webhook_note(hook.url, "orphan")])
            async with store.transaction() as s:  # claimed by a processor that then died
                [claimed] = await claim_due(s, limit=5, worker_id="dead", lease_s=0.5)
            assert claimed.id == row_id
            policy = replace(FAST, lease_s=0.5)
            survivor = OutboxProcessor(
                store,
                Channels(email=None, webhook=WebhookChannel(directory=AnyWebhookUnsigned())),
                policy=policy,
            )
            assert (await survivor.drain()).handled == 0  # the claim is still fresh
            await asyncio.sleep(0.6)
            assert (await survivor.drain()).delivered == 1
        assert hook.delivered_keys() == ["orphan"]
        async with store.transaction() as s:
            row = await get(s, row_id)
            late = await mark_delivered(s, row_id, worker_id="dead")
        assert row is not None and (row.status, row.attempts) == ("delivered", 2)
        assert late is False  # the dead processor's claim no longer counts
    finally:
        await store.close()
