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

Recovery comes first: when the agent that left was serving a call whose caller is still
in the room, :meth:`CallCloser.agent_left` dispatches the agent again to resume the call
(:mod:`agent.recovery`) and closes nothing; a room another agent already serves is left
alone too. Only a room with no caller left has its calls closed after the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta

from livekit import api

from ..config import Settings
from ..recovery import RoomState, original_metadata, redispatch, room_state
from ..store import Store
from ..store.calls import active_call_in_room, close_abandoned
from ..store.migrate import ensure_embedded_schema
from .dispatch import livekit_api

logger = logging.getLogger("frontdesk.dispatcher")

SWEEP_EVERY_S = 300.0


class CallCloser:
    """Closes the calls of ended rooms (after a grace) and, as a backstop, overlong ones."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._lkapi: api.LiveKitAPI | None = None

    def room_ended(self, room: str, event: str) -> None:
        """Close ``room``'s calls left active once the grace has passed."""
        self._spawn(self._close_later(room, event))

    def agent_left(self, room: str, identity: str, room_metadata: str) -> None:
        """The agent ``identity`` left ``room``: resume its call if a caller is still
        there with no agent, else close the room's calls after the grace."""
        self._spawn(self._agent_left(room, identity, room_metadata))

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _agent_left(self, room: str, identity: str, room_metadata: str) -> None:
        try:
            if await self._resume(room, identity, room_metadata):
                return
        except Exception:  # LiveKit or the store did not answer: close as before
            logger.exception("could not check the room for recovery", extra={"room": room})
        await self._close_later(room, "participant_left")

    async def _resume(self, room: str, lost: str, room_metadata: str) -> bool:
        """True when the room is served (another agent is there, or was dispatched now)."""
        if self._lkapi is None:
            self._lkapi = livekit_api(self._settings)
        lkapi = self._lkapi
        state = await room_state(lkapi, room, lost)
        if state is not RoomState.LOST:
            return state is RoomState.SERVED
        if not await self._active(room):
            return False
        dispatches = await lkapi.agent_dispatch.list_dispatch(room_name=room)
        metadata = original_metadata(dispatches, room_metadata)
        agent = self._settings.agent_name
        return await redispatch(
            lkapi, room=room, agent_name=agent, metadata=metadata, lost=lost, by="dispatcher"
        )

    async def _active(self, room: str) -> bool:
        store = Store.open(self._settings)
        try:
            await ensure_embedded_schema(store.engine.url)
            async with store.transaction() as s:
                return await active_call_in_room(s, room) is not None
        finally:
            await store.close()

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
        if self._lkapi is not None:
            await self._lkapi.aclose()
