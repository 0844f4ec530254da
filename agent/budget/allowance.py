"""What a tenant may still spend: the month's cost so far against its budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..store import Store
from ..store.usage import tenant_spend
from ..tenants import Tenant


def month_start(now: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of ``now``'s month in the tenant's timezone."""
    local = now.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Allowance:
    """A tenant's budget at a call's start."""

    month: str  # YYYY-MM in the tenant's timezone
    spent_usd: float  # this month so far
    monthly_usd: float | None
    per_call_usd: float | None

    @property
    def refused(self) -> bool:
        """The month's budget is spent: new calls are refused."""
        return self.monthly_usd is not None and self.spent_usd >= self.monthly_usd

    @property
    def call_limit_usd(self) -> float | None:
        """What this call may cost: its own cap, or what the month has left if less."""
        limits = [x for x in (self.per_call_usd, self.monthly_left_usd) if x is not None]
        return min(limits) if limits else None

    @property
    def monthly_left_usd(self) -> float | None:
        if self.monthly_usd is None:
            return None
        return max(self.monthly_usd - self.spent_usd, 0.0)


async def allowance(store: Store, tenant: Tenant, now: datetime) -> Allowance:
    """The tenant's budget now (one query when a monthly budget is set, none otherwise)."""
    budget = tenant.config.budget
    start = month_start(now, tenant.tz)
    spent = 0.0
    if budget.monthly_usd is not None:
        async with store.transaction() as s:
            spent = await tenant_spend(s, tenant.id, start)
    return Allowance(start.strftime("%Y-%m"), spent, budget.monthly_usd, budget.per_call_usd)
