"""Live events per tenant over a WebSocket: ``/v1/events``.

How events reach the dispatcher: **from the store**. The worker's recorder already
streams every turn and flow event to the store as the call goes (write-ahead spooled,
so nothing is lost when the store blinks); :class:`LiveFeed` tails those rows every
``FRONTDESK_LIVE_EVENTS_POLL`` seconds (0.5) and fans them out to the sockets of their
tenant. This works the same on the local stack's SQLite file and on Postgres, needs no
new channel from the worker (data flows one way, worker to store to readers), serves
any number of dispatcher replicas, and a reader can always catch up from the store.
LiveKit room data would need the dispatcher to join every room, and webhooks carry no
turns; Postgres ``LISTEN/NOTIFY`` would leave SQLite out (it could later be a wakeup
that shortens the poll, the store staying the source).

Messages, one JSON object each: ``{"type": "call_started" | "turn" | "node_entered" |
"handoff_requested" | "human_joined" | "human_left" | "handed_back" |
"handoff_timed_out" | "flow_ended" | "call_ended", "call_id", "at", ...}``.

Authentication: an ``Authorization: Bearer`` header, or (browsers cannot set one on a
WebSocket) a first message ``{"token": "..."}`` within 10 s. Bad or missing: the socket
is closed with code 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from ..record.events import EventType
from ..store import live as repo
from ..store.engine import Store
from ..store.staff import StaffMember
from ..store.tables import FlowEventRow, Turn
from .auth import token_of

logger = logging.getLogger("frontdesk.dispatcher")

BEHIND = 50  # ids re-read behind the cursor (rows committed out of id order)
SEEN = 2000  # how many sent rows are remembered to drop the re-read ones
QUEUE = 1000  # a socket that falls this far behind is closed
AUTH_TIMEOUT_S = 10.0
EVENT_NAMES: dict[str, str] = {  # a row's type (an EventType member) -> live event
    EventType.NODE_ENTERED: "node_entered",
    EventType.HANDOFF_REQUESTED: "handoff_requested",
    EventType.HUMAN_JOINED: "human_joined",
    EventType.HUMAN_LEFT: "human_left",
    EventType.HANDED_BACK: "handed_back",
    EventType.HANDOFF_TIMED_OUT: "handoff_timed_out",
    EventType.ENDED: "flow_ended",
}

Message = dict[str, Any]


def turn_message(row: Turn) -> Message:
    return {
        "type": "turn",
        "call_id": row.call_id,
        "seq": row.seq,
        "speaker": row.speaker,
        "text": row.text,
        "at": row.started_at.isoformat(),
    }


def event_message(row: FlowEventRow) -> Message:
    return {
        "type": EVENT_NAMES.get(row.type, row.type),
        "call_id": row.call_id,
        "node": row.node,
        "at": row.at.isoformat(),
        **{k: v for k, v in row.payload.items() if k not in ("node", "at")},
    }


@dataclass
class _Seen:
    keys: OrderedDict[tuple[str, int], None] = field(default_factory=OrderedDict)

    def first_time(self, key: tuple[str, int]) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = None
        while len(self.keys) > SEEN:
            self.keys.popitem(last=False)
        return True


class LiveFeed:
    """One poller of the store per dispatcher, fanning out to per-tenant subscribers."""

    def __init__(self, store: Store, poll_s: float) -> None:
        self._store = store
        self._poll_s = poll_s
        self._subscribers: dict[asyncio.Queue[Message | None], str] = {}
        self._cursor: repo.Cursor | None = None
        self._active: dict[str, str] = {}  # call id -> tenant
        self._seen = _Seen()

    def subscribe(self, tenant: str) -> asyncio.Queue[Message | None]:
        queue: asyncio.Queue[Message | None] = asyncio.Queue(QUEUE)
        self._subscribers[queue] = tenant
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Message | None]) -> None:
        self._subscribers.pop(queue, None)

    def _publish(self, tenant: str, message: Message) -> None:
        for queue, wanted in list(self._subscribers.items()):
            if wanted != tenant:
                continue
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:  # too slow a reader: close it rather than stall
                self.unsubscribe(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)

    async def tick(self) -> None:
        """One look at the store: publish what was written since the last one."""
        async with self._store.transaction() as s:
            if self._cursor is None:
                self._cursor = await repo.cursor_now(s)
                states = await repo.call_states(s, ())
                self._active = {c.id: c.tenant for c in states if c.status == "active"}
                # what is already there is history: the re-read behind the cursor skips it
                turns, events = await repo.rows_after(s, self._cursor, behind=BEHIND)
                for key in [("t", t.id) for t in turns] + [("e", e.id) for e in events]:
                    self._seen.first_time(key)
                return
            turns, events = await repo.rows_after(s, self._cursor, behind=BEHIND)
            states = await repo.call_states(s, self._active)
        now = datetime.now(UTC).isoformat()
        for c in states:
            if c.status == "active" and c.id not in self._active:
                self._active[c.id] = c.tenant
                self._publish(c.tenant, {"type": "call_started", "call_id": c.id, "at": now})
        self._publish_rows(turns, events)
        for c in states:
            if c.status != "active" and self._active.pop(c.id, None) is not None:
                message = {"type": "call_ended", "call_id": c.id, "at": now}
                self._publish(c.tenant, {**message, "status": c.status, "reason": c.end_reason})
        self._cursor = repo.Cursor(
            max([self._cursor.turn_id, *(t.id for t in turns)]),
            max([self._cursor.event_id, *(e.id for e in events)]),
        )

    def _publish_rows(self, turns: Sequence[Turn], events: Sequence[FlowEventRow]) -> None:
        rows: list[tuple[datetime, Message, str, tuple[str, int]]] = []
        for t in turns:
            rows.append((t.started_at, turn_message(t), t.tenant, ("t", t.id)))
        for e in events:
            rows.append((e.at, event_message(e), e.tenant, ("e", e.id)))
        for _, message, tenant, key in sorted(rows, key=lambda r: r[0]):
            if self._seen.first_time(key):
                self._publish(tenant, message)

    async def run(self) -> None:
        while True:
            if self._subscribers or self._cursor is None:
                try:
                    await self.tick()
                except Exception:  # the store may be down: look again next time
                    logger.exception("live feed: reading the store failed")
            await asyncio.sleep(self._poll_s)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    feed = LiveFeed(app.state.store, app.state.settings.live_events_poll_s)
    app.state.live_feed = feed
    task = asyncio.create_task(feed.run(), name="live-feed")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(tags=["calls"], lifespan=lifespan)


async def _authenticate(ws: WebSocket, store: Store) -> StaffMember | None:
    header = ws.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        try:
            first = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_S)
            token = str(json.loads(first).get("token", ""))
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
            return None
    return await token_of(store, token) if token else None


@router.websocket("/v1/events")
async def events(ws: WebSocket) -> None:
    """The tenant's live events (see the module's docs)."""
    await ws.accept()
    feed = ws.app.state.live_feed
    assert isinstance(feed, LiveFeed)
    staff = await _authenticate(ws, ws.app.state.store)
    if staff is None:
        await ws.send_json({"type": "error", "error": "sign in first: a valid staff token"})
        await ws.close(code=4401)
        return
    queue = feed.subscribe(staff.tenant)
    await ws.send_json({"type": "ready", "tenant": staff.tenant})
    reader = asyncio.create_task(_drain(ws))
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                getter.cancel()
                return
            message = getter.result()
            if message is None:
                await ws.close(code=1013, reason="too slow: reconnect")
                return
            await ws.send_json(message)
    except WebSocketDisconnect:
        return
    finally:
        feed.unsubscribe(queue)
        reader.cancel()


async def _drain(ws: WebSocket) -> None:
    """Read (and ignore) what the client sends, until it goes."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await ws.receive_text()
