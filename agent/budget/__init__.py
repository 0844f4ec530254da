"""Cost caps: a tenant's ``budget.per_call_usd`` and ``budget.monthly_usd`` enforced.

- :mod:`.allowance`: what the month has cost so far (the stored usage, priced), whether
  new calls are still allowed, and how much this call may cost;
- :mod:`.watch`: a live call's cost as its session's usage grows; near its cap the call
  stops using the LLM, at the cap the agent wraps up politely and hangs up;
- :mod:`.alert`: the owner is told once a month that a cap was reached (the outbox).
"""

from .alert import tell_owner_once
from .allowance import Allowance, allowance, month_start
from .watch import CallBudget

__all__ = ["Allowance", "CallBudget", "allowance", "month_start", "tell_owner_once"]
