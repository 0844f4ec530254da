"""Per-client rate limits of the public web routes (``FRONTDESK_WEB_RATE_LIMIT``).

Built on ``limits`` (moving windows, in this process's memory): ``10/minute`` lets one
client address open at most ten sessions in any sixty seconds; several windows can be
combined (``5/minute;50/hour``). The address is the TCP peer's, or the one a trusted
reverse proxy on loopback puts in ``X-Forwarded-For`` (uvicorn's ``forwarded_allow_ips``).
A refusal is a 429 whose ``Retry-After`` says when the oldest request leaves the window.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class ClientRateLimit:
    """The windows of one route family, counted per client address."""

    def __init__(self, spec: str, *, scope: str, setting: str = "FRONTDESK_WEB_RATE_LIMIT") -> None:
        self.spec = spec
        self._setting = setting
        self._items: list[RateLimitItem] = parse_many(spec)
        self._scope = scope
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def hit(self, client: str) -> None:
        """Count one request of ``client``; raise a 429 when a window is full."""
        for item in self._items:
            if await self._limiter.hit(item, self._scope, client):
                continue
            stats = await self._limiter.get_window_stats(item, self._scope, client)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise HTTPException(
                429,
                detail=f"too many requests from this address: at most {item} "
                f"({self._setting}={self.spec}); try again in {retry} s",
                headers={"Retry-After": str(retry)},
            )
