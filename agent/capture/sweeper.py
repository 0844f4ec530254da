"""The background sweep of spools that calls left behind.

A call whose store was down past hang-up ends with its records in its spool file (the
recorder gives up waiting after a bounded time, so the job can end). Nothing would
write them until another call started. :class:`SpoolSweeper` does it in the
background, every ``FRONTDESK_SPOOL_SWEEP`` seconds: it flushes every spool no live
recorder holds (:func:`.spool.recover`), and for each call whose end was in it (now
finalized) runs the post-call hook (analysis, lead, notifications). It runs in the
worker's main process (started with the worker, for the spools of its job processes)
and in ``frontdesk outbox run --forever``. An idle sweep only lists a folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from ..config import Settings
from ..errors import FrontdeskError
from ..store import Store
from ..store.migrate import ensure_embedded_schema
from ..store.usage import load_prices
from . import spool

logger = logging.getLogger("frontdesk.capture.sweeper")

PostcallHook = Callable[[str], Awaitable[None]]


def _has_spools(directory: Path) -> bool:
    return directory.is_dir() and any(directory.glob("*.jsonl"))


class SpoolSweeper:
    """Flushes left-behind spools into ``store`` and runs ``postcall`` for the calls it
    finalizes."""

    def __init__(self, settings: Settings, store: Store, postcall: PostcallHook) -> None:
        self.settings, self.store, self.postcall = settings, store, postcall
        self.directory = spool.spool_dir(settings.data_dir)

    async def sweep(self) -> list[str]:
        """One sweep; returns the ids of the calls it finalized."""
        if not await asyncio.to_thread(_has_spools, self.directory):
            return []
        await ensure_embedded_schema(self.store.engine.url)
        prices = await asyncio.to_thread(load_prices, self.settings.prices_file)
        finished = await spool.recover(self.store, self.directory, prices)
        for call_id in finished:
            logger.info("call finalized from its spool", extra={"call_id": call_id})
            try:
                await self.postcall(call_id)
            except Exception:  # the hook logs; one call's failure never stops the sweep
                logger.exception("post-call of a swept call failed", extra={"call_id": call_id})
        return finished

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Sweep every ``spool_sweep_s`` until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.sweep()
            except FrontdeskError as e:
                logger.warning("spool sweep failed; trying again later", extra={"error": str(e)})
            except Exception:  # a background task must not die of one bad sweep
                logger.exception("spool sweep failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.spool_sweep_s)
