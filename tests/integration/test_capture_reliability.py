"""Capture reliability on real Postgres and SQLite: the database goes away in the middle
of a call (the call goes on, the spool holds the records, nothing is missing after it
returns), and a recorder process killed with SIGKILL loses nothing it recorded: the
turn in flight waits in its spool and is replayed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.capture.recorder import CallRecorder
from agent.flow.events import NodeEntered, SlotSet
from agent.record.turn import TurnRecord
from agent.store import Store
from agent.store.calls import NewCall, get_call
from agent.store.events import list_events
from agent.store.turns import list_turns
from agent.store.usage import load_prices
from tests.pg import PostgresServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Outage:
    down: Callable[[], None]
    up: Callable[[], None]


def _outage(request: pytest.FixtureRequest, store_url: str) -> Outage:
    if store_url.startswith("sqlite"):
        path = store_url.removeprefix("sqlite:///")
        holder: list[sqlite3.Connection] = []

        def lock() -> None:  # another process holds the write lock: writes cannot happen
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            holder.append(conn)

        def unlock() -> None:
            conn = holder.pop()
            conn.execute("ROLLBACK")
            conn.close()

        return Outage(lock, unlock)
    server: PostgresServer = request.getfixturevalue("postgres")
    return Outage(lambda: server.stop("immediate"), server.start)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    store = Store.from_url(store_url)
    yield store
    await store.close()


def new_call(call_id: str = "call-1") -> NewCall:
    return NewCall(id=call_id, tenant="crumb-and-co", source="web", room="r1", started_at=T0)


async def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def say(recorder: CallRecorder, n: int) -> None:
    at = T0 + timedelta(seconds=n)
    speaker = "caller" if n % 2 else "agent"
    recorder.add_turn(TurnRecord(speaker, f"turn {n}", at, at + timedelta(seconds=1)))
    recorder.emit(NodeEntered(node=f"n{n}", kind="say", at=at))


async def test_database_down_mid_call_loses_nothing(
    request: pytest.FixtureRequest, store_url: str, store: Store, tmp_path: Path
) -> None:
    outage = _outage(request, store_url)
    recorder = CallRecorder(
        store, new_call(), data_dir=tmp_path, prices=load_prices(), retry_s=0.2, write_timeout_s=2
    )
    recorder.start()
    for n in range(1, 4):
        say(recorder, n)
    await eventually(lambda: recorder._queue.empty() and not recorder.offline)
    outage.down()
    try:
        for n in range(4, 9):  # the call goes on: recording never waits for the store
            say(recorder, n)
        recorder.emit(SlotSet(slot="name", value="Ada", raw_text="it's Ada", at=T0))
        await eventually(lambda: recorder.offline)
        await eventually(lambda: "turn 8" in recorder.spool.path.read_text())
        spooled = recorder.spool.path.read_text()
        assert all(f"turn {n}" in spooled for n in range(4, 9))
    finally:
        outage.up()
    await eventually(lambda: not recorder.offline)
    assert await recorder.close(ended_at=T0 + timedelta(minutes=2), status="completed")
    assert not recorder.spool.path.exists()
    async with store.transaction() as s:
        turns = await list_turns(s, "call-1")
        events = await list_events(s, "call-1")
        call = await get_call(s, "call-1")
    assert [t.text for t in turns] == [f"turn {n}" for n in range(1, 9)]
    assert [e.type for e in events][-1] == "SlotSet"
    assert [e.payload.get("node") for e in events[:8]] == [f"n{n}" for n in range(1, 9)]
    assert call is not None and call.status == "completed"
    assert call.duration_s == 120.0


async def test_spool_left_by_a_dead_call_is_recovered(store: Store, tmp_path: Path) -> None:
    from agent.capture import spool

    prices = load_prices()
    recorder = CallRecorder(store, new_call("call-2"), data_dir=tmp_path, prices=prices)
    recorder.spool.open()  # a recorder that died before reaching the store: all in the spool
    from agent.capture.ops import encode

    base = {"call_id": "call-2", "tenant": "crumb-and-co"}
    lines = [
        encode("start", {**base, "source": "sip", "room": "r2", "started_at": T0}),
        encode(
            "turn",
            {**base, "seq": 1, "speaker": "caller", "text": "hello", "started_at": T0},
        ),
        encode("finalize", {**base, "ended_at": T0 + timedelta(seconds=5), "status": "completed"}),
    ]
    for line in lines:
        recorder.spool.log(line)
    assert await spool.recover(store, spool.spool_dir(tmp_path), prices) == []  # still locked
    recorder.spool._file.close()  # type: ignore[union-attr]  # the process died
    assert await spool.recover(store, spool.spool_dir(tmp_path), prices) == ["call-2"]
    assert not recorder.spool.path.exists()
    assert await spool.recover(store, spool.spool_dir(tmp_path), prices) == []
    async with store.transaction() as s:
        assert [t.text for t in await list_turns(s, "call-2")] == ["hello"]
        call = await get_call(s, "call-2")
    assert call is not None and (call.status, call.duration_s) == ("completed", 5.0)


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from agent.capture.recorder import CallRecorder
    from agent.record.turn import TurnRecord
    from agent.store import Store
    from agent.store.calls import NewCall
    from agent.store.usage import load_prices

    async def main() -> None:
        store = Store.from_url(sys.argv[1])
        now = datetime.now(UTC)
        call = NewCall(id="killed", tenant="t", source="sip", room="r", started_at=now)
        recorder = CallRecorder(store, call, data_dir=Path(sys.argv[2]), prices=load_prices())
        recorder.start()
        n = 0
        while True:
            n += 1
            recorder.add_turn(TurnRecord("caller", f"turn {n}", datetime.now(UTC)))
            print(n, flush=True)
            await asyncio.sleep(0.15)

    asyncio.run(main())
    """
)


async def test_killed_recorder_loses_no_turn_not_even_the_one_in_flight(
    store_url: str, store: Store, tmp_path: Path
) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        store_url,
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ},
    )
    assert child.stdout is not None
    said = 0
    while said < 12:
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line, "the recorder process ended early"
        said = int(line)
    child.send_signal(signal.SIGKILL)
    await child.wait()
    from agent.capture import spool

    # the dead process's spool is replayed (by the worker's sweeper, or flush-spool)
    await spool.recover(store, spool.spool_dir(tmp_path), load_prices())
    async with store.transaction() as s:
        stored = [t.text for t in await list_turns(s, "killed")]
    # every turn recorded before the kill is stored, in order, the one in flight too
    assert stored[:said] == [f"turn {n}" for n in range(1, said + 1)]
