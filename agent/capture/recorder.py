"""The call recorder: an :class:`~agent.flow.events.EventSink` and turn writer that never
blocks the call.

Callers (the flow machine, the session's event handlers) append a JSON record to the
call's spool file (written ahead: a process killed mid-turn loses no record said before)
and put it on a queue. One background task writes queued records to the store as they
come, batching whatever piled up into one transaction, and then lets the spool forget
them. When the store is unavailable (database down, timeout), the records wait in the
spool, in order, and the task retries it every ``retry_s`` seconds; once the store takes
it, direct writes resume. A record the store refuses (a value too long for its column) is logged
with the call id and kept in the dead-letter file; the rest of the call is stored
(:mod:`.writer`). :meth:`close` finalizes the call and waits a bounded time for the
queue; what is still spooled then is flushed by the worker's background sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..record.events import EventType
from ..record.turn import TurnRecord
from ..store import Store
from ..store.calls import NewCall
from ..store.ops import OpKind
from ..store.usage import PriceTable
from . import spool
from .ops import encode, event_payload
from .writer import DeadLetters, RecordWriter

logger = logging.getLogger("frontdesk.capture")

WRITE_TIMEOUT_S = 10.0

EventListener = Callable[[str, dict[str, Any]], None]
TurnListener = Callable[[TurnRecord], None]
Queued = tuple[str, int]  # a record, and the spool's size once it was appended


class CallRecorder:
    """Streams one call's records to the store, or to its spool while the store is away."""

    def __init__(
        self,
        store: Store,
        call: NewCall,
        *,
        data_dir: Path,
        prices: PriceTable,
        retry_s: float = 2.0,
        write_timeout_s: float = WRITE_TIMEOUT_S,
        prepare: Callable[[], Awaitable[None]] | None = None,
        after: tuple[int, int] = (0, 0),
    ) -> None:
        """``after``: the last turn and event sequence numbers already stored (a resumed
        call's records go on from them)."""
        self.store = store
        self.call = call
        self.prices = prices
        self.retry_s = retry_s
        self.write_timeout_s = write_timeout_s
        self._prepare = prepare
        self.spool = spool.SpoolFile(spool.spool_dir(data_dir) / f"{call.id}.jsonl")
        self._writer = RecordWriter(
            store, prices, DeadLetters(spool.spool_dir(data_dir)), timeout_s=write_timeout_s
        )
        self.refused = 0  # records the store refused (kept in the dead-letter file)
        self._queue: asyncio.Queue[Queued | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._offline = False
        self._closing = False
        self._turn_seq, self._event_seq = after
        self.end_node: str | None = None
        self.consent_granted: bool | None = None
        self._listeners: list[EventListener] = []
        self._turn_listeners: list[TurnListener] = []

    @property
    def offline(self) -> bool:
        """True while records are going to the spool instead of the store."""
        return self._offline

    # -- producing records (never waits: one append to the OS's page cache) ---------------
    def _put(self, kind: OpKind, data: Mapping[str, Any]) -> None:
        line = encode(kind, {"call_id": self.call.id, "tenant": self.call.tenant, **data})
        self._queue.put_nowait((line, self.spool.log(line)))

    def start(self) -> None:
        """Open the spool (unless opened already), record the call's start, and start the
        writer task."""
        self.spool.open()
        c = self.call
        self._put(
            "start",
            {
                "source": c.source,
                "room": c.room,
                "started_at": c.started_at,
                "flow_id": c.flow_id,
                "campaign": c.campaign,
                "caller_identity": c.caller_identity,
                "caller_number": c.caller_number,
                "called_number": c.called_number,
            },
        )
        self._task = asyncio.create_task(self._run(), name=f"recorder:{c.id}")

    def emit(self, event: object) -> None:
        """EventSink: store any flow event by its class name and fields."""
        type_name, at, payload = event_payload(event)
        self._event_seq += 1
        self._put(
            "event", {"seq": self._event_seq, "type": type_name, "at": at, "payload": payload}
        )
        if type_name == EventType.ENDED:
            self.end_node = payload.get("node")
        elif type_name == EventType.CONSENT_RECORDED:
            self.consent_granted = bool(payload.get("granted"))
        for listener in self._listeners:
            listener(type_name, payload)

    def on_event(self, listener: EventListener) -> None:
        """Call ``listener(type_name, payload)`` for every flow event (e.g. the audio gate)."""
        self._listeners.append(listener)

    def on_turn(self, listener: TurnListener) -> None:
        """Call ``listener(turn)`` for every turn recorded (e.g. the metrics)."""
        self._turn_listeners.append(listener)

    def add_turn(self, turn: TurnRecord) -> None:
        for listener in self._turn_listeners:
            listener(turn)
        self._turn_seq += 1
        self._put(
            "turn",
            {
                "seq": self._turn_seq,
                "speaker": turn.speaker,
                "speaker_identity": turn.identity,
                "text": turn.text,
                "started_at": turn.started_at,
                "ended_at": turn.ended_at,
                "stt_confidence": turn.stt_confidence,
                "interrupted": turn.interrupted,
                "latency": dict(turn.latency),
            },
        )

    def add_participant(
        self, identity: str, role: str, joined_at: datetime, *, number: str | None = None
    ) -> None:
        caller = role == "caller"
        self._put(
            "participant",
            {
                "identity": identity,
                "role": role,
                "joined_at": joined_at,
                "caller_identity": identity if caller else None,
                "caller_number": number if caller else None,
            },
        )

    def add_usage(self, **fields: Any) -> None:
        self._put("usage", fields)

    def add_recording(self, **fields: Any) -> None:
        """A kept recording: storage, uri, format, channels, size, expires_at."""
        self._put("recording", fields)

    def add_error(self) -> None:
        self._put("error", {})

    # -- finishing ----------------------------------------------------------------------
    async def close(
        self, *, ended_at: datetime, status: str, end_reason: str | None = None, wait_s: float = 15
    ) -> bool:
        """Finalize the call; wait up to ``wait_s`` for the writes. True if all reached the
        store; False if some stay in the spool (flushed by the next recovery)."""
        self._put(
            "finalize",
            {
                "ended_at": ended_at,
                "status": status,
                "end_node": self.end_node,
                "end_reason": end_reason,
            },
        )
        self._queue.put_nowait(None)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=wait_s)
            except TimeoutError:
                logger.warning("store still unreachable at call end; records stay in the spool")
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        stored = not self._offline
        await asyncio.to_thread(self.spool.close)
        return stored

    # -- the writer task ----------------------------------------------------------------
    async def _run(self) -> None:
        if (
            self._prepare is not None
        ):  # e.g. create the embedded store's tables, off the call's path
            try:
                await self._prepare()
            except Exception as e:
                logger.error("store not prepared", extra={"call_id": self.call.id, "error": str(e)})
        while True:
            if self._offline:
                await self._retry_spool()
                continue
            if self._closing and self._queue.empty():
                return
            items = [await self._queue.get(), *self._drain_all()]
            batch = self._take(items)
            if batch:
                await self._write(batch)

    def _drain_all(self) -> list[Queued | None]:
        items: list[Queued | None] = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    def _take(self, items: list[Queued | None]) -> list[Queued]:
        """The records among ``items``; a ``None`` among them means the call closed."""
        if any(item is None for item in items):
            self._closing = True
        return [item for item in items if item is not None]

    async def _write(self, batch: list[Queued]) -> None:
        try:
            written = await self._writer.write([line for line, _ in batch])
        except asyncio.CancelledError:
            self._offline = True  # closing gave up on the store mid-write: the spool has them
            raise
        self.refused += written.refused
        if written.pending:
            self._offline = True
            logger.warning(
                "store unavailable; spooling the call's records", extra={"call_id": self.call.id}
            )
            return
        _, size = batch[-1]
        self.spool.forget_if_last(size)

    async def _retry_spool(self) -> None:
        self._take(self._drain_all())  # what was queued meanwhile is in the spool already
        spooled, size = await asyncio.to_thread(self.spool.read)
        written = await self._writer.write(spooled)
        self.refused += written.refused
        if written.pending:
            if len(written.pending) < len(spooled):
                await asyncio.to_thread(self.spool.forget, size, written.pending)
            logger.debug("spool not flushed yet", extra={"call_id": self.call.id})
            await asyncio.sleep(self.retry_s)
            return
        await asyncio.to_thread(self.spool.forget, size)
        self._offline = False
        logger.info("store reachable again; spool flushed", extra={"call_id": self.call.id})
