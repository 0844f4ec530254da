"""A budget applied to one call in the worker: refuse it when the month is spent, else
watch its cost; near the cap run scripted, at the cap wrap up and tell the owner."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from livekit.agents import AgentSession, SessionUsageUpdatedEvent

from ..capture.recorder import CallRecorder
from ..capture.session_hooks import session_usage
from ..config import Settings
from ..flow.runtime import FlowAgent
from ..store import Store
from ..store.migrate import ensure_embedded_schema
from ..store.usage import load_prices
from ..tenants import Tenant
from .alert import tell_owner_once
from .allowance import Allowance, allowance, month_start
from .events import BudgetNear, BudgetReached
from .watch import CallBudget

logger = logging.getLogger("frontdesk.budget")

WRAP_UP = (
    "I'm sorry, I have to end our call here. Someone from the team will follow up with "
    "you. Thank you for calling, goodbye."
)


async def check_budget(settings: Settings, tenant: Tenant) -> Allowance:
    """The tenant's allowance for a new call; when the month is spent, the owner's alert
    is enqueued (once a month) and the outbox is delivered in the background. Without a
    monthly budget the store is not read."""
    budget, now = tenant.config.budget, datetime.now(UTC)
    if budget.monthly_usd is None:
        return Allowance(
            month_start(now, tenant.tz).strftime("%Y-%m"), 0.0, None, budget.per_call_usd
        )
    store = Store.open(settings)
    try:
        await ensure_embedded_schema(store.engine.url)
        found = await allowance(store, tenant, now)
        if found.refused:
            what = (
                f"The month's budget of {found.monthly_usd:.2f} USD is spent "
                f"({found.spent_usd:.2f} USD): new calls are refused with a short apology."
            )
            if await tell_owner_once(store, tenant, month=found.month, what=what):
                _deliver_later(settings)
        return found
    finally:
        await store.close()


def watch_budget(
    settings: Settings,
    tenant: Tenant,
    *,
    found: Allowance,
    session: AgentSession[None],
    agent: FlowAgent,
    recorder: CallRecorder,
) -> CallBudget | None:
    """Hold the call to ``found.call_limit_usd``, as the session's usage grows."""
    limit = found.call_limit_usd
    if limit is None:
        return None
    monthly = found.per_call_usd is None or limit < found.per_call_usd

    def near(cost: float) -> None:
        recorder.emit(BudgetNear(datetime.now(UTC), cost, limit))
        agent.stop_assisting()

    def capped(cost: float) -> None:
        recorder.emit(BudgetReached(datetime.now(UTC), cost, limit, monthly))
        agent.wrap_up(WRAP_UP)
        if monthly:
            what = (
                f"A call reached what the month's budget of {found.monthly_usd:.2f} USD "
                "had left and was ended politely; new calls are refused until it is raised."
            )
            _spawn(_alert(settings, tenant, found.month, what))

    budget = CallBudget(limit, load_prices(settings.prices_file), near, capped)

    def updated(_ev: SessionUsageUpdatedEvent) -> None:
        budget.update(session_usage(session, datetime.now(UTC)))

    session.on("session_usage_updated", updated)
    return budget


_tasks: set[asyncio.Task[None]] = set()


def _spawn(coro: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _alert(settings: Settings, tenant: Tenant, month: str, what: str) -> None:
    store = Store.open(settings)
    try:
        if await tell_owner_once(store, tenant, month=month, what=what):
            _deliver_later(settings)
    except Exception:
        logger.exception("budget alert not enqueued", extra={"tenant": tenant.id})
    finally:
        await store.close()


def _deliver_later(settings: Settings) -> None:
    _spawn(_deliver(settings))


async def _deliver(settings: Settings) -> None:
    from ..postcall.pipeline import deliver_due

    store = Store.open(settings)
    try:
        await deliver_due(store, settings, timeout_s=30.0)
    except Exception:
        logger.exception("budget alert not delivered yet (the outbox retries it)")
    finally:
        await store.close()
