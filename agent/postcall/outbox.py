"""The outbox processor: claim due notifications, deliver them, record the outcome.

Claims come from :func:`agent.store.outbox.claim_due` (``FOR UPDATE SKIP LOCKED`` on
Postgres, the single write lock on SQLite), so several processors, in one process or
many, never hold the same row. Each claimed row is delivered with tenacity: up to
:attr:`RetryPolicy.in_place` tries with exponential backoff while the error is
retryable. If it still fails the row goes back to ``pending`` with a later
``next_attempt_at`` (30 s, doubling, capped by ``FRONTDESK_OUTBOX_MAX_BACKOFF``) until
it is older than the horizon (``FRONTDESK_OUTBOX_HORIZON_HOURS``, from its creation or
its last ``outbox retry``): then it is ``failed`` with its last error. A non-retryable
error (a 4xx, no transport, a webhook its tenant does not list) fails it at once.

A send that times out is not retried in place: the receiver may have taken it, and
three quick tries sent a slow endpoint each notification three times per claim. It is
counted (``timeouts``) and sent again on the next claim. The row's idempotency key
goes with every try (webhook header, Resend's ``Idempotency-Key``, the email's
``Message-ID``), so a receiver dedupes what it got twice.
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
from ..metrics.registry import OUTBOX_RESULTS
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
    max_requeue_s: float = 900.0  # the cap of that delay
    horizon: timedelta = timedelta(hours=24)  # retried until this old, then failed
    max_attempts: int | None = None  # an extra cap on claims (None: the horizon only)
    lease_s: float = 300.0  # a claim older than this is taken over (its processor died)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_requeue_s=settings.outbox_max_backoff_s,
            horizon=timedelta(hours=settings.outbox_horizon_hours),
            max_attempts=settings.outbox_max_attempts,
        )

    def gives_up(self, row: OutboxRow, error: DeliveryError) -> bool:
        """Whether this failure of ``row`` is its last."""
        if not error.retryable:
            return True
        if self.max_attempts is not None and row.attempts >= self.max_attempts:
            return True
        return utcnow() - (row.revived_at or row.created_at) >= self.horizon

    def requeue_delay(self, attempts: int) -> timedelta:
        return timedelta(
            seconds=min(self.max_requeue_s, self.requeue_s * 2 ** max(0, attempts - 1))
        )


@dataclass(frozen=True)
class RunStats:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    timed_out: int = 0  # of the retried and failed: sends the receiver did not answer

    def __add__(self, other: RunStats) -> RunStats:
        return RunStats(
            self.delivered + other.delivered,
            self.retried + other.retried,
            self.failed + other.failed,
            self.timed_out + other.timed_out,
        )

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed


def _retryable(error: BaseException) -> bool:
    """Whether to try again at once: not after a timeout (the receiver may have it)."""
    return isinstance(error, DeliveryError) and error.retryable and not error.timed_out


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
            final = self.policy.gives_up(row, e)
            who, late = self.worker_id, e.timed_out
            async with self.store.transaction() as s:
                if final:
                    await rows.mark_failed(s, row.id, str(e), worker_id=who, timed_out=late)
                else:
                    next_at = utcnow() + self.policy.requeue_delay(row.attempts)
                    await rows.mark_retry(s, row.id, str(e), next_at, worker_id=who, timed_out=late)
            log.warning(
                "notification not delivered",
                extra={
                    **extra,
                    "final": final,
                    "error": str(e),
                    "timed_out": e.timed_out,
                    "timeouts": row.timeouts + int(e.timed_out),
                },
            )
            timed_out = int(e.timed_out)
            OUTBOX_RESULTS.labels(row.channel, "failed" if final else "retry").inc()
            if final:
                return RunStats(failed=1, timed_out=timed_out)
            return RunStats(retried=1, timed_out=timed_out)
        async with self.store.transaction() as s:
            await rows.mark_delivered(s, row.id, worker_id=self.worker_id)
        log.info("notification delivered", extra=extra)
        OUTBOX_RESULTS.labels(row.channel, "delivered").inc()
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
