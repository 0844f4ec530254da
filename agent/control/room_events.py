"""LiveKit's room events close the stored calls a worker left open.

A worker finalizes its call when the call ends. A worker that dies (killed, out of
memory, its machine gone) leaves the call ``active``. LiveKit still reports the end:
``participant_left`` for the agent (when its connection drops) and ``room_finished``.
On either, :class:`CallCloser` waits ``FRONTDESK_CALL_CLOSE_GRACE`` seconds (the
worker's own finalize normally lands first: it is the better record) and then
finalizes every call of that room still ``active`` as ``failed``, naming the event in
``end_reason``. Should the webhook itself be lost, :meth:`CallCloser.sweep` closes every
call still active ``FRONTDESK_MAX_CALL_MINUTES`` after it started; the dispatcher runs
it every few minutes. So no stored call stays ``active`` forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from ..config import Settings
from ..store import Store
from ..store.calls import close_abandoned
from ..store.migrate import ensure_embedded_schema

logger = logging.getLogger("frontdesk.dispatcher")

SWEEP_EVERY_S = 300.0


class CallCloser:
    """Closes the calls of ended rooms (after a grace) and, as a backstop, overlong ones."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()

    def room_ended(self, room: str, event: str) -> None:
        """Close ``room``'s calls left active once the grace has passed."""
        task = asyncio.get_running_loop().create_task(self._close_later(room, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_later(self, room: str, event: str) -> None:
        await asyncio.sleep(self._settings.call_close_grace_s)
        reason = f"{event}: LiveKit reported the end; the worker did not close the call"
        closed = await self._close(reason, room=room)
        for call_id in closed:
            logger.warning("call closed from a LiveKit webhook", extra={"call_id": call_id})

    async def sweep(self) -> list[str]:
        """Close the calls still active longer than ``FRONTDESK_MAX_CALL_MINUTES``."""
        limit = timedelta(minutes=self._settings.max_call_minutes)
        reason = f"still active after {self._settings.max_call_minutes} minutes"
        closed = await self._close(reason, started_before=datetime.now(UTC) - limit)
        for call_id in closed:
            logger.warning("overlong call closed", extra={"call_id": call_id})
        return closed

    async def _close(
        self, reason: str, *, room: str | None = None, started_before: datetime | None = None
    ) -> list[str]:
        store = Store.open(self._settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                return await close_abandoned(
                    s,
                    ended_at=datetime.now(UTC),
                    reason=reason,
                    room=room,
                    started_before=started_before,
                )
        finally:
            await store.close()

    async def run_sweeps(self) -> None:
        """Sweep now and every :data:`SWEEP_EVERY_S` seconds (until cancelled)."""
        while True:
            try:
                await self.sweep()
            except Exception:  # the store may be down: try again next time
                logger.exception("sweep of overlong calls failed")
            await asyncio.sleep(SWEEP_EVERY_S)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
