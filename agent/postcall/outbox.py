"""The outbox processor: claim due notifications, deliver them, record the outcome.

Claims come from :func:`agent.store.outbox.claim_due` (``FOR UPDATE SKIP LOCKED`` on
Postgres, the single write lock on SQLite), so several processors, in one process or
many, never hold the same row. Each claimed row is delivered with tenacity: up to
:attr:`RetryPolicy.in_place` tries with exponential backoff while the error is
retryable. If it still fails the row goes back to ``pending`` with a later
``next_attempt_at``, until ``max_attempts`` claims have failed: then it is ``failed``
with its last error. A non-retryable error (a 4xx, no transport) fails it at once.
The row's idempotency key goes with every try (webhook header, Resend's
``Idempotency-Key``, the email's ``Message-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from ..config import Settings
from ..errors import DeliveryError, StoreUnavailable
from ..store import Store
from ..store import outbox as rows
from ..store.tables import OutboxRow, utcnow
from .channels import Channels
from .messages import MESSAGE

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    in_place: int = 3  # tries per claim (tenacity)
    initial_s: float = 0.2  # first in-place backoff, doubled each try
    max_wait_s: float = 5.0
    requeue_s: float = 30.0  # first delay before the next claim, doubled per claim
    max_requeue_s: float = 3600.0
    max_attempts: int = 5  # claims before the row fails for good
    lease_s: float = 300.0  # a claim older than this is taken over (its processor died)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.outbox_max_attempts)

    def requeue_delay(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.max_requeue_s, self.requeue_s * 2 ** max(0, attempts - 1))
        )


@dataclass(frozen=True)
class RunStats:
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: RunStats) -> RunStats:
        return RunStats(
            self.delivered + other.delivered,
            self.retried + other.retried,
            self.failed + other.failed,
        )

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed


def _retryable(error: BaseException) -> bool:
    return isinstance(error, DeliveryError) and error.retryable


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object()):x}"


@dataclass
class OutboxProcessor:
    store: Store
    channels: Channels
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    worker_id: str = field(default_factory=default_worker_id)
    batch: int = 20

    async def run_once(self) -> RunStats:
        """Claim one batch and deliver it (concurrently); returns what happened."""
        async with self.store.transaction() as s:
            claimed = await rows.claim_due(
                s, limit=self.batch, worker_id=self.worker_id, lease_s=self.policy.lease_s
            )
        results = await asyncio.gather(*(self._handle(row) for row in claimed))
        return sum(results, RunStats())

    async def drain(self) -> RunStats:
        """Run batches until nothing is due."""
        total = RunStats()
        while (stats := await self.run_once()).handled:
            total += stats
        return total

    async def run_forever(self, stop: asyncio.Event, *, poll_s: float) -> RunStats:
        """Drain, then sleep ``poll_s``, until ``stop`` is set. A store that cannot be
        reached is logged and tried again after the pause (claims it held expire)."""
        total = RunStats()
        while not stop.is_set():
            try:
                total += await self.drain()
            except StoreUnavailable as e:
                log.warning("outbox store unavailable", extra={"error": repr(e)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_s)
        return total

    async def _handle(self, row: OutboxRow) -> RunStats:
        extra = {"call_id": row.call_id, "outbox_id": row.id, "channel": row.channel}
        try:
            await self._deliver(row)
        except DeliveryError as e:
            final = not e.retryable or row.attempts >= self.policy.max_attempts
            async with self.store.transaction() as s:
                if final:
                    await rows.mark_failed(s, row.id, str(e), worker_id=self.worker_id)
                else:
                    next_at = utcnow() + self.policy.requeue_delay(row.attempts)
                    await rows.mark_retry(s, row.id, str(e), next_at, worker_id=self.worker_id)
            log.warning(
                "notification not delivered", extra={**extra, "final": final, "error": str(e)}
            )
            return RunStats(failed=1) if final else RunStats(retried=1)
        async with self.store.transaction() as s:
            await rows.mark_delivered(s, row.id, worker_id=self.worker_id)
        log.info("notification delivered", extra=extra)
        return RunStats(delivered=1)

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            message = MESSAGE.validate_python(row.payload)
        except ValidationError as e:
            raise DeliveryError(
                f"outbox row {row.id} has an invalid payload: {e}", retryable=False
            ) from e
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.in_place),
            wait=wait_exponential(multiplier=self.policy.initial_s, max=self.policy.max_wait_s),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self.channels.deliver(
                        message, idempotency_key=row.idempotency_key, tenant=row.tenant
                    )
        except DeliveryError:
            raise
        except Exception as e:  # a bug in a channel: keep it as the row's error, retry later
            raise DeliveryError(f"unexpected error: {e!r}", retryable=True) from e
