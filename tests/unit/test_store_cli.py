"""``frontdesk db upgrade``, ``calls list|show`` and ``retention run`` on a SQLite store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.record.turn import TurnRecord
from agent.store import Store
from agent.store.analyses import LeadUpdate, NewAnalysis, save_analysis_with_outbox
from agent.store.calls import NewCall, finalize_call, start_call
from agent.store.events import NewEvent, add_event
from agent.store.outbox import NewNotification
from agent.store.turns import add_turn

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


async def _fill(db: Path) -> None:
    store = Store.from_url(f"sqlite:///{db}")
    async with store.transaction() as s:
        await start_call(
            s,
            NewCall(
                id="c1",
                tenant="crumb-and-co",
                source="sip",
                room="room-7",
                started_at=T0,
                flow_id="demo_bakery",
            ),
        )
        await add_turn(
            s,
            "c1",
            "crumb-and-co",
            TurnRecord(seq=1, speaker="agent", text="Hello!", started_at=T0, latency={"e2e": 0.5}),
        )
        await add_turn(
            s,
            "c1",
            "crumb-and-co",
            TurnRecord(
                seq=2,
                speaker="caller",
                text="A cake",
                started_at=T0,
                stt_confidence=0.87,
                latency={"end_of_turn_delay": 0.41},
            ),
        )
        for seq, node in enumerate(("greet", "order"), start=1):
            await add_event(
                s,
                "c1",
                "crumb-and-co",
                NewEvent(seq=seq, type="NodeEntered", at=T0, payload={"node": node, "kind": "say"}),
            )
        await finalize_call(
            s, "c1", ended_at=T0 + timedelta(seconds=42), status="completed", end_node="order"
        )
        await save_analysis_with_outbox(
            s,
            NewAnalysis(
                call_id="c1",
                tenant="crumb-and-co",
                method="deterministic",
                call_type="order",
                fields={"items": "a cake"},
                summary="Ordered a cake",
            ),
            [
                NewNotification(
                    tenant="crumb-and-co",
                    call_id="c1",
                    channel="email",
                    target="owner@example.com",
                    idempotency_key="c1:owner",
                )
            ],
            lead=LeadUpdate(
                tenant="crumb-and-co",
                contact_key="ada@example.com",
                score=40,
                priority="medium",
                call_id="c1",
            ),
        )
    await store.close()


def test_calls_commands_show_the_stored_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    asyncio.run(_fill(tmp_path / "frontdesk.db"))

    listed = runner.invoke(app, ["calls", "list", "--tenant", "crumb-and-co", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in json.loads(listed.output)] == ["c1"]
    other = runner.invoke(app, ["calls", "list", "--tenant", "elsewhere"])
    assert "no calls stored" in other.output

    shown = runner.invoke(app, ["calls", "show", "room-7"])
    assert shown.exit_code == 0, shown.output
    for expected in (
        "agent: Hello!",
        "caller: A cake",
        "(stt confidence 0.87, end_of_turn_delay 410ms)",
        "(e2e 500ms)",
        "flow path: greet -> order",
        "analysis (deterministic): type order",
        "items: a cake",
        "lead ada@example.com: score 40 priority medium",
        "email -> owner@example.com: pending",
        "duration 42.0s",
    ):
        assert expected in shown.output
    data = json.loads(runner.invoke(app, ["calls", "show", "c1", "--json"]).output)
    assert data["call"]["end_node"] == "order" and data["cost_usd"] == 0

    missing = runner.invoke(app, ["calls", "show", "nope"])
    assert missing.exit_code == 1 and "no call 'nope'" in missing.output
    assert "deleted 0 expired" in runner.invoke(app, ["retention", "run"]).output
