"""Staff tokens and the live feed on both stores (SQLite and a real Postgres): a token
opens only while valid; the feed publishes each tenant's rows to that tenant only, once
(a second look re-reads behind its cursor and sends nothing again), in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.control.live import LiveFeed
from agent.record.turn import TurnRecord
from agent.store import calls as call_repo
from agent.store import events as event_repo
from agent.store import staff as repo
from agent.store import turns as turn_repo
from agent.store.engine import Store
from agent.store.events import NewEvent

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def test_a_token_opens_only_while_valid(store_url: str) -> None:
    store = Store.from_url(store_url)
    try:
        async with store.transaction() as s:
            await repo.add_user(s, tenant="bakery", email="A@x.example", password_hash="h")
            user = await repo.find_user(s, tenant="bakery", email="a@x.example")
            assert user is not None
            await repo.add_token(s, user, "fds_one", kind="session", now=NOW, expires_at=NOW)
            await repo.add_token(s, user, "fdk_key", kind="api_key", now=NOW, expires_at=None)
        async with store.transaction() as s:
            assert await repo.token_owner(s, "fds_one", now=NOW) is None  # expired
            early = await repo.token_owner(s, "fds_one", now=NOW - timedelta(seconds=1))
            assert early is not None and early.tenant == "bakery"
            assert await repo.token_owner(s, "fdk_key", now=NOW) is not None
            assert await repo.token_owner(s, "fdk_other", now=NOW) is None
            await repo.revoke_token(s, "fdk_key", now=NOW)
        async with store.transaction() as s:
            assert await repo.token_owner(s, "fdk_key", now=NOW) is None
    finally:
        await store.close()


async def _call(store: Store, tenant: str, call_id: str, said: list[str]) -> None:
    async with store.transaction() as s:
        new = call_repo.NewCall(
            id=call_id, tenant=tenant, source="sip", room=call_id, started_at=NOW
        )
        await call_repo.start_call(s, new)
        for seq, text in enumerate(said):
            turn = TurnRecord(seq=seq, speaker="caller", text=text, started_at=NOW)
            await turn_repo.add_turn(s, call_id, tenant, turn)


async def test_the_feed_sends_each_tenant_its_own_rows_once(store_url: str) -> None:
    store = Store.from_url(store_url)
    feed = LiveFeed(store, poll_s=0.05)
    bakery, gym = feed.subscribe("bakery"), feed.subscribe("gym")
    try:
        await _call(store, "bakery", "b-0", ["said before the dispatcher looked"])
        await feed.tick()  # the first look only sets the cursor: earlier rows are history
        await _call(store, "bakery", "b-1", ["hello", "a person please"])
        await _call(store, "gym", "g-1", ["hi"])
        await feed.tick()
        await feed.tick()  # a second look re-reads behind the cursor and sends nothing again
        got = [bakery.get_nowait() for _ in range(bakery.qsize())]
        assert [(m["type"], m.get("text")) for m in got] == [
            ("call_started", None),
            ("turn", "hello"),
            ("turn", "a person please"),
        ]
        assert {m["call_id"] for m in [gym.get_nowait() for _ in range(gym.qsize())]} == {"g-1"}
        async with store.transaction() as s:
            payload = {"node": "h", "reason": "r", "summary": "s", "slots": {}}
            event = NewEvent(seq=0, type="HandoffRequested", at=NOW, payload=payload)
            await event_repo.add_event(s, "b-1", "bakery", event)
            await call_repo.finalize_call(
                s, "b-1", ended_at=NOW, status="completed", end_reason="hangup"
            )
        await feed.tick()
        got = [bakery.get_nowait() for _ in range(bakery.qsize())]
        assert [m["type"] for m in got] == ["handoff_requested", "call_ended"]
        assert gym.empty()
    finally:
        await store.close()
