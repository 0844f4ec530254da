"""The outbox claim primitive on real Postgres and SQLite: concurrent claimers never get
the same row, stale claims come back, outcomes only land for the claim's owner."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from agent.store import Store
from agent.store.calls import NewCall, start_call
from agent.store.outbox import (
    NewNotification,
    claim_due,
    enqueue,
    get,
    mark_delivered,
    mark_failed,
    mark_retry,
)
from agent.store.tables import utcnow

pytestmark = pytest.mark.integration


def note(i: int, call_id: str | None = None) -> NewNotification:
    return NewNotification(
        tenant="t1",
        call_id=call_id,
        channel="webhook",
        target="https://hooks.example/x",
        idempotency_key=f"key-{i}",
        payload={"i": i},
    )


async def test_enqueue_is_idempotent_on_its_key(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with store.transaction() as s:
            await start_call(
                s, NewCall(id="c1", tenant="t1", source="web", room="r", started_at=utcnow())
            )
            first = await enqueue(s, note(1, "c1"))
            again = await enqueue(s, note(1, "c1"))
        assert first is not None
        assert again is None
    finally:
        await store.close()


async def test_concurrent_claimers_never_claim_the_same_row(store_url: str) -> None:
    total, claimers = 120, 6
    stores = [Store.from_url(store_url) for _ in range(claimers)]
    try:
        async with stores[0].transaction() as s:
            for i in range(total):
                await enqueue(s, note(i))

        async def claimer(store: Store, worker: str) -> list[int]:
            mine: list[int] = []
            while True:
                async with store.transaction() as s:
                    rows = await claim_due(s, limit=7, worker_id=worker)
                if not rows:
                    return mine
                mine.extend(r.id for r in rows)
                await asyncio.sleep(0)

        results = await asyncio.gather(*(claimer(store, f"w{n}") for n, store in enumerate(stores)))
        claimed = [i for ids in results for i in ids]
        assert len(claimed) == total
        assert len(set(claimed)) == total
        assert sum(1 for ids in results if ids) >= 2  # the claims really were shared
    finally:
        for store in stores:
            await store.close()


async def test_outcomes_and_stale_claims(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with store.transaction() as s:
            ids = [await enqueue(s, note(i)) for i in range(3)]
        a, b, c = (i for i in ids if i is not None)
        async with store.transaction() as s:
            rows = await claim_due(s, limit=10, worker_id="w1")
        assert [r.id for r in rows] == [a, b, c]
        assert all(r.status == "sending" and r.attempts == 1 for r in rows)
        async with store.transaction() as s:
            assert not await mark_delivered(s, a, worker_id="someone-else")
            assert await mark_delivered(s, a, worker_id="w1")
            later = utcnow() + timedelta(minutes=5)
            assert await mark_retry(s, b, "HTTP 503", later, worker_id="w1")
            assert await mark_failed(s, c, "HTTP 410 gone", worker_id="w1")
        async with store.transaction() as s:
            assert await claim_due(s, limit=10, worker_id="w2") == []  # b is not due yet
            due = await claim_due(s, limit=10, worker_id="w2", now=later + timedelta(seconds=1))
            assert [r.id for r in due] == [b]
            assert due[0].attempts == 2
        async with store.transaction() as s:
            row_a, row_c = await get(s, a), await get(s, c)
            assert row_a is not None and row_a.status == "delivered"
            assert row_a.delivered_at is not None
            assert row_c is not None and (row_c.status, row_c.last_error) == (
                "failed",
                "HTTP 410 gone",
            )
            # w2 died holding b: after the lease it can be claimed again
            stale = await claim_due(
                s, limit=10, worker_id="w3", now=utcnow() + timedelta(hours=1), lease_s=60
            )
            assert [r.id for r in stale] == [b]
            assert stale[0].claimed_by == "w3"
    finally:
        await store.close()
