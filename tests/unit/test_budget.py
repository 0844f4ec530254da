"""Budgets: the month in the tenant's timezone, what a call may cost, the live watch's
two thresholds, the owner told once, and ``frontdesk usage``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from agent.budget import Allowance, CallBudget, allowance, month_start, tell_owner_once
from agent.cli import app
from agent.store import Store
from agent.store.calls import NewCall, start_call
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.postcall import list_outbox
from agent.store.usage import NewUsage, PriceTable, add_usage
from agent.tenants import TenantRegistry

pytestmark = pytest.mark.unit

CENT_A_CHAR = PriceTable.model_validate({"espeak ng/*": {"chars_per_mchar": 10_000.0}})
TENANT_YAML = """\
name: Budget Bakery
flow: demo_bakery
timezone: America/New_York
notifications:
  owner_email: owner@budget.example
budget:
  per_call_usd: 1.0
  monthly_usd: 3.0
"""


def test_the_month_starts_in_the_tenants_timezone() -> None:
    # 1 December 02:00 UTC is still November in New York
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert month_start(now, ZoneInfo("America/New_York")).strftime("%Y-%m") == "2026-11"
    assert month_start(now, ZoneInfo("Europe/London")) == datetime(
        2026, 12, 1, tzinfo=ZoneInfo("Europe/London")
    )


@pytest.mark.parametrize(
    ("spent", "monthly", "per_call", "refused", "limit"),
    [
        (0.0, None, None, False, None),  # no budget: no limit
        (0.0, None, 1.0, False, 1.0),  # the call's own cap
        (2.5, 3.0, 1.0, False, 0.5),  # what the month has left is less
        (3.0, 3.0, 1.0, True, 0.0),  # spent: refused
        (1.0, 3.0, None, False, 2.0),
    ],
)
def test_what_a_call_may_cost(
    spent: float, monthly: float | None, per_call: float | None, refused: bool, limit: float
) -> None:
    found = Allowance("2026-12", spent, monthly, per_call)
    assert found.refused is refused
    assert found.call_limit_usd == (pytest.approx(limit) if limit is not None else None)


def _tts(characters: int) -> list[NewUsage]:
    at = datetime.now(UTC)
    return [NewUsage(kind="tts", provider="eSpeak NG", model="x", at=at, characters=characters)]


def test_the_watch_warns_near_the_cap_then_caps_each_once() -> None:
    near: list[float] = []
    capped: list[float] = []
    watch = CallBudget(1.0, CENT_A_CHAR, near.append, capped.append)
    watch.update(_tts(50))  # 0.50 USD
    assert (near, capped) == ([], [])
    watch.update(_tts(85))  # 0.85: past 80 %
    assert near == [pytest.approx(0.85)] and capped == []
    watch.update(_tts(120))  # 1.20: at the cap
    watch.update(_tts(200))
    assert len(near) == 1 and capped == [pytest.approx(1.2)]


@pytest.fixture
def tenants(tmp_path: Path) -> Path:
    folder = tmp_path / "tenants" / "budget-bakery"
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text(TENANT_YAML)
    return tmp_path / "tenants"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    upgrade(normalize_url(url))
    return url


async def _spend(store: Store, call_id: str, characters: int, at: datetime) -> None:
    async with store.transaction() as s:
        await start_call(
            s,
            NewCall(id=call_id, tenant="budget-bakery", source="sip", room=call_id, started_at=at),
        )
        usage = NewUsage(kind="tts", provider="eSpeak NG", model="x", at=at, characters=characters)
        await add_usage(s, call_id, "budget-bakery", usage, CENT_A_CHAR)


def test_the_spent_month_refuses_and_the_owner_is_told_once(tenants: Path, store_url: str) -> None:
    tenant = TenantRegistry(tenants).get("budget-bakery")
    now = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)

    async def go() -> tuple[Allowance, Allowance, list[bool], int]:
        store = Store.from_url(store_url)
        try:
            await _spend(store, "last-month", 500, datetime(2026, 11, 20, tzinfo=UTC))
            await _spend(store, "c1", 150, datetime(2026, 12, 2, tzinfo=UTC))
            before = await allowance(store, tenant, now)
            await _spend(store, "c2", 160, datetime(2026, 12, 10, tzinfo=UTC))
            after = await allowance(store, tenant, now)
            told = [
                await tell_owner_once(store, tenant, month=after.month, what="spent")
                for _ in range(3)
            ]
            async with store.transaction() as s:
                rows = await list_outbox(s, tenant="budget-bakery")
            return before, after, told, len(rows)
        finally:
            await store.close()

    before, after, told, rows = asyncio.run(go())
    assert before.spent_usd == pytest.approx(1.5)  # November's call does not count
    assert not before.refused and before.call_limit_usd == pytest.approx(1.0)
    assert after.spent_usd == pytest.approx(3.1) and after.refused
    assert told == [True, False, False] and rows == 1


def test_usage_reports_the_month_against_the_budget(
    tenants: Path, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def spend() -> None:
        store = Store.from_url(store_url)
        try:
            await _spend(store, "c1", 150, datetime(2026, 12, 2, 15, tzinfo=UTC))
            await _spend(store, "c2", 50, datetime(2026, 12, 3, 15, tzinfo=UTC))
            await _spend(store, "old", 999, datetime(2026, 11, 3, 15, tzinfo=UTC))
        finally:
            await store.close()

    asyncio.run(spend())
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(tenants))
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(
        app, ["usage", "--tenant", "budget-bakery", "--month", "2026-12", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["calls"] == 2 and report["cost_usd"] == pytest.approx(2.0)
    assert report["monthly_budget_usd"] == 3.0
    bad = runner.invoke(app, ["usage", "--tenant", "budget-bakery", "--month", "december"])
    assert bad.exit_code == 2
    assert "YYYY-MM" in bad.output
