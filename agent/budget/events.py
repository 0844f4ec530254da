"""What the call record shows of a budget: the call neared its cap (the LLM was
dropped), and it reached it (the agent wrapped up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BudgetNear:
    at: datetime
    cost_usd: float
    limit_usd: float


@dataclass(frozen=True)
class BudgetReached:
    at: datetime
    cost_usd: float
    limit_usd: float
    monthly: bool  # the month's budget (rather than the call's own) was the cap
