"""A live call's cost against its cap, checked as the session's usage grows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ..store.usage import NewUsage, PriceTable

logger = logging.getLogger("frontdesk.budget")

NEAR_SHARE = 0.8  # past this share of its cap a call stops using the LLM


@dataclass
class CallBudget:
    """Calls ``on_near`` once when the call's cost passes ``NEAR_SHARE`` of ``limit_usd``
    and ``on_cap`` once when it reaches it. :meth:`update` takes the session's usage."""

    limit_usd: float
    prices: PriceTable
    on_near: Callable[[float], None]
    on_cap: Callable[[float], None]
    cost_usd: float = 0.0
    _near: bool = field(default=False, init=False)
    _capped: bool = field(default=False, init=False)

    def update(self, usage: list[NewUsage]) -> None:
        self.cost_usd = sum(u.cost(self.prices) for u in usage)
        if not self._near and self.cost_usd >= NEAR_SHARE * self.limit_usd:
            self._near = True
            logger.info("call nears its budget", extra={"cost_usd": self.cost_usd})
            self.on_near(self.cost_usd)
        if not self._capped and self.cost_usd >= self.limit_usd:
            self._capped = True
            logger.warning("call reached its budget", extra={"cost_usd": self.cost_usd})
            self.on_cap(self.cost_usd)
