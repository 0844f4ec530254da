"""Budgets enforced on real calls through the stack: a call that reaches its own cap is
wrapped up politely (the LLM dropped near it), and once the month's budget is spent new
calls hear a short refusal while the owner is told once.

eSpeak NG costs nothing, so this stack prices its characters (a price table of its own):
one cent a character.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import yaml

from agent.config import ROOT, Settings, load_settings
from agent.stack import LocalStack, StackPorts
from agent.store import Store
from agent.store.postcall import list_outbox
from agent.store.report import call_report
from agent.store.usage import SHIPPED_PRICES
from tests.callers import agent_said, call, wait_for_agent_speech

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(300)]

TENANT = "budget-bakery"
TENANT_YAML = """\
name: Budget Bakery
flow: demo_bakery
timezone: Europe/London
notifications:
  owner_email: owner@budget-bakery.example
budget:
  per_call_usd: 2.5
  monthly_usd: 3.0
"""


@pytest.fixture(scope="module")
def budget_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("budget")
    (root / "tenants" / TENANT).mkdir(parents=True)
    (root / "tenants" / TENANT / "tenant.yaml").write_text(TENANT_YAML)
    prices = yaml.safe_load(SHIPPED_PRICES.read_text())
    prices["espeak ng/*"] = {"chars_per_mchar": 10_000.0}  # a cent a character
    (root / "prices.yaml").write_text(yaml.safe_dump(prices))
    return load_settings(check_keys=False).model_copy(
        update={
            "tenants_dir": root / "tenants",
            "flows_dir": ROOT / "flows",
            "data_dir": root / "data",
            "prices_file": root / "prices.yaml",
        }
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def budget_stack(
    budget_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LocalStack]:
    env = {
        "FRONTDESK_TENANTS_DIR": str(budget_settings.tenants_dir),
        "FRONTDESK_FLOWS_DIR": str(budget_settings.flows_dir),
        "FRONTDESK_DATA_DIR": str(budget_settings.data_dir),
        "FRONTDESK_PRICES_FILE": str(budget_settings.prices_file),
    }
    log_dir = tmp_path_factory.mktemp("budget-logs")
    stack = LocalStack(
        budget_settings, ports=StackPorts.ephemeral(), log_dir=log_dir, extra_env=env
    )
    async with stack:
        yield stack


async def _events(store: Store, room: str, timeout: float = 60) -> list[str]:
    """The flow events of the room's finished call."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        async with store.transaction() as s:
            report = await call_report(s, room)
        if report is not None and report.call.status != "active":
            return [e.type for e in report.rows["events"]]  # type: ignore[attr-defined]
        await asyncio.sleep(0.5)
    raise AssertionError(f"no finished call for {room}")


async def test_a_call_at_its_cap_is_wrapped_up_then_the_spent_month_refuses_calls(
    budget_stack: LocalStack, budget_settings: Settings
) -> None:
    store = Store.from_url(f"sqlite:///{budget_settings.data_dir / 'frontdesk.db'}")
    try:
        # 1. the greeting and menu cost about 1.5 USD; the answer to "opening hours"
        # takes the call past 2.5 USD, its own cap: the agent wraps up and hangs up
        async with call(budget_stack, budget_settings, TENANT) as (caller, room):
            start = await wait_for_agent_speech(caller)
            assert await caller.agent_turn_done(start, timeout=60)
            await caller.say("opening hours")
            await asyncio.wait_for(caller.disconnected.wait(), timeout=90)
            assert "have to end our call here" in agent_said(caller), agent_said(caller)
        events = await _events(store, room)
        assert "BudgetNear" in events and "BudgetReached" in events, events
        assert events.index("BudgetNear") <= events.index("BudgetReached")

        # 2. and 3. the month's 3 USD are spent: short refusals, the owner told once
        for _ in range(2):
            async with call(budget_stack, budget_settings, TENANT) as (caller, _room):
                await asyncio.wait_for(caller.disconnected.wait(), timeout=60)
                said = agent_said(caller)
                assert "can't take your call right now" in said, said
                assert "thanks for calling" not in said.lower()
        async with store.transaction() as s:
            alerts = [
                row
                for row in await list_outbox(s, tenant=TENANT, limit=100)
                if row.template == "budget_alert"
            ]
        assert len(alerts) == 1
        assert alerts[0].target == "owner@budget-bakery.example"
    finally:
        await store.close()
