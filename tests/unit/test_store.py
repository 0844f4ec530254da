"""The call store on an embedded SQLite file: URLs, migrations, repositories, the
generated Supabase SQL, the price table."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from agent.config import load_settings
from agent.errors import ConfigError
from agent.record.turn import TurnRecord
from agent.store import Store, database_url, normalize_url
from agent.store.analyses import (
    LeadUpdate,
    NewAnalysis,
    analyses_for_call,
    get_lead,
    save_analysis_with_outbox,
    upsert_lead,
)
from agent.store.calls import NewCall, finalize_call, get_call, list_calls
from agent.store.events import NewEvent, add_event, consents, handoffs, list_events
from agent.store.migrate import heads, upgrade
from agent.store.outbox import NewNotification, for_call
from agent.store.report import call_report
from agent.store.supabase_sql import SUPABASE_MIGRATIONS, render
from agent.store.turns import add_turn, list_turns
from agent.store.usage import NewUsage, Price, PriceTable, add_usage, load_prices
from tests.stores import sqlite_store

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    call = NewCall(id="c1", tenant="t1", source="sip", room="r1", started_at=T0)
    async with sqlite_store(tmp_path / "x.db", call) as store:
        yield store


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db:5432/x", "postgresql+asyncpg://u:***@db:5432/x"),
        ("postgresql://u@db/x?sslmode=require", "postgresql+asyncpg://u@db/x?ssl=require"),
        ("sqlite:////tmp/a.db", "sqlite+aiosqlite:////tmp/a.db"),
    ],
)
def test_database_urls_map_to_async_drivers(raw: str, expected: str) -> None:
    assert normalize_url(raw).render_as_string(hide_password=True) == expected


def test_unsupported_database_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL: unsupported database 'mysql'"):
        normalize_url("mysql://u@h/db")


def test_default_store_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(check_keys=False, data_dir=tmp_path, database_url=None)
    assert database_url(settings).database == str(tmp_path / "frontdesk.db")
    pg = settings.model_copy(update={"database_url": SecretStr("postgres://a@b/c")})
    assert database_url(pg).drivername == "postgresql+asyncpg"


def test_migrations_have_one_head() -> None:
    assert len(heads()) == 1


def test_supabase_migrations_are_generated_from_the_current_migrations() -> None:
    rendered = render()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SUPABASE_MIGRATIONS.glob("*.sql")}
    assert committed == rendered, "run: uv run python -m agent.store.supabase_sql"
    first = next(iter(rendered.values()))
    assert first.count("ENABLE ROW LEVEL SECURITY") == 11
    assert "CREATE POLICY outbox_tenant_isolation" in first
    last = list(rendered.values())[-1]
    assert f"SET version_num='{heads()[0]}'" in last  # ends at the head


async def test_turn_and_event_writes_are_idempotent(store: Store) -> None:
    turn = TurnRecord(seq=1, speaker="caller", text="hi", started_at=T0, latency={"e2e": 0.8})
    event = NewEvent(seq=1, type="NodeEntered", at=T0, payload={"node": "greet", "kind": "say"})
    async with store.transaction() as s:
        assert await add_turn(s, "c1", "t1", turn)
        assert not await add_turn(s, "c1", "t1", turn)
        assert await add_event(s, "c1", "t1", event)
        assert not await add_event(s, "c1", "t1", event)
    async with store.transaction() as s:
        turns = await list_turns(s, "c1")
        events = await list_events(s, "c1")
    assert [(t.text, t.latency, t.started_at) for t in turns] == [("hi", {"e2e": 0.8}, T0)]
    assert [(e.type, e.node) for e in events] == [("NodeEntered", "greet")]


async def test_consent_and_handoff_events_fill_their_tables(store: Store) -> None:
    async with store.transaction() as s:
        consent = {"node": "gate", "who": "a@b.c", "wording": "May we email you?", "granted": True}
        await add_event(
            s, "c1", "t1", NewEvent(seq=1, type="ConsentRecorded", at=T0, payload=consent)
        )
        handoff = {
            "node": "h",
            "reason": "asked for a human",
            "summary": "wants a cake",
            "slots": {},
        }
        await add_event(
            s, "c1", "t1", NewEvent(seq=2, type="HandoffRequested", at=T0, payload=handoff)
        )
    async with store.transaction() as s:
        (c,) = await consents(s, "c1")
        (h,) = await handoffs(s, "c1")
    assert (c.who, c.wording, c.granted) == ("a@b.c", "May we email you?", True)
    assert (h.reason, h.summary, h.status) == ("asked for a human", "wants a cake", "requested")


async def test_finalize_sets_duration_and_closes_open_turns(store: Store) -> None:
    end = T0 + timedelta(seconds=95)
    async with store.transaction() as s:
        await add_turn(s, "c1", "t1", TurnRecord(seq=1, speaker="agent", text="bye", started_at=T0))
        await finalize_call(s, "c1", ended_at=end, status="completed", end_node="goodbye")
    async with store.transaction() as s:
        call = await get_call(s, "c1")
        (turn,) = await list_turns(s, "c1")
        listed = await list_calls(s, tenant="t1")
        other = await list_calls(s, tenant="t2")
    assert call is not None
    assert (call.duration_s, call.status, call.end_node) == (95.0, "completed", "goodbye")
    assert turn.ended_at == end
    assert [c.id for c in listed] == ["c1"] and other == []


async def test_analysis_lead_and_outbox_commit_together_or_not_at_all(store: Store) -> None:
    analysis = NewAnalysis(call_id="c1", tenant="t1", method="deterministic", call_type="order")
    lead = LeadUpdate(
        tenant="t1",
        contact_key="ada@example.com",
        email="ada@example.com",
        score=25,
        priority="low",
        call_id="c1",
    )
    notes = [
        NewNotification(
            tenant="t1", call_id="c1", channel="email", target="owner@x", idempotency_key="c1:owner"
        ),
    ]
    with pytest.raises(RuntimeError):
        async with store.transaction() as s:
            await save_analysis_with_outbox(s, analysis, notes, lead=lead)
            raise RuntimeError("crash before commit")
    async with store.transaction() as s:
        assert await analyses_for_call(s, "c1") == []
        assert await for_call(s, "c1") == []
        assert await get_lead(s, "t1", "ada@example.com") is None
    async with store.transaction() as s:
        _, enqueued = await save_analysis_with_outbox(s, analysis, notes, lead=lead)
        _, again = await save_analysis_with_outbox(s, analysis, notes, lead=lead)  # a replay
    assert len(enqueued) == 1 and again == []


async def test_upsert_lead_updates_by_contact_and_keeps_known_fields(store: Store) -> None:
    async with store.transaction() as s:
        first = await upsert_lead(
            s, LeadUpdate(tenant="t1", contact_key="+4420", name="Ada", phone="+4420", score=10)
        )
        second = await upsert_lead(
            s,
            LeadUpdate(tenant="t1", contact_key="+4420", score=45, priority="medium", call_id="c1"),
        )
        other = await upsert_lead(s, LeadUpdate(tenant="t2", contact_key="+4420"))
    async with store.transaction() as s:
        lead = await get_lead(s, "t1", "+4420")
    assert first == second != other
    assert lead is not None
    assert (lead.name, lead.score, lead.priority, lead.last_call_id) == ("Ada", 45, "medium", "c1")


async def test_usage_is_priced_from_the_table_and_reported(store: Store) -> None:
    prices = PriceTable(
        {
            "openai/gpt-4.1-mini": Price(input_per_mtok=0.4, output_per_mtok=1.6),
            "deepgram/*": Price(audio_per_min=0.006),
        }
    )
    llm = NewUsage(
        kind="llm",
        provider="openai",
        model="gpt-4.1-mini",
        at=T0,
        tokens_in=10_000,
        tokens_out=2_000,
    )
    stt = NewUsage(kind="stt", provider="deepgram", model="nova-3", at=T0, audio_seconds=120)
    async with store.transaction() as s:
        await add_usage(s, "c1", "t1", llm, prices)
        await add_usage(s, "c1", "t1", stt, prices)
        report = await call_report(s, "r1")  # found by room name too
    assert report is not None
    assert report.as_dict()["cost_usd"] == pytest.approx(0.004 + 0.0032 + 0.012)


def test_shipped_price_table_loads() -> None:
    table = load_prices()
    assert table.price("eSpeak NG", "espeak-ng-1.52.0") == Price()
    assert table.price("Deepgram", "nova-3").audio_per_min > 0  # names as plugins report them
    assert table.price("openai", "gpt-4.1-mini").input_per_mtok > 0


async def test_usage_and_recording_writes_replay_without_duplicates(store: Store) -> None:
    from agent.store.recordings import add_recording
    from agent.store.recordings import for_call as recordings_for_call
    from agent.store.usage import usage_for_call

    prices = load_prices()
    first = NewUsage(kind="tts", provider="local", model="espeak", at=T0, characters=100)
    later = NewUsage(kind="tts", provider="local", model="espeak", at=T0, characters=250)
    async with store.transaction() as s:
        await add_usage(s, "c1", "t1", first, prices)
        await add_usage(s, "c1", "t1", later, prices)
        ids = [
            await add_recording(
                s,
                call_id="c1",
                tenant="t1",
                storage="local",
                uri="/r/c1.ogg",
                format="ogg",
                channels=2,
                size=10,
                expires_at=T0,
            )
            for _ in range(2)
        ]
    async with store.transaction() as s:
        rows = await usage_for_call(s, "c1")
        recs = await recordings_for_call(s, "c1")
    assert [r.characters for r in rows] == [250]
    assert ids[0] == ids[1] and len(recs) == 1


def test_migrations_match_the_tables(tmp_path: Path) -> None:
    from alembic import command
    from alembic.util.exc import AutogenerateDiffsDetected

    from agent.store.migrate import alembic_config

    url = normalize_url(f"sqlite:///{tmp_path / 'check.db'}")
    upgrade(url)
    command.check(alembic_config(url))  # raises when a table changed without a migration
    with sqlite3.connect(tmp_path / "check.db") as db:  # a change made outside migrations
        db.execute("DROP INDEX ix_recordings_expires_at")
    with pytest.raises(AutogenerateDiffsDetected):
        command.check(alembic_config(url))
