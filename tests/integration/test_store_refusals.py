"""A write the store refuses is not an outage (real Postgres and SQLite).

Postgres refuses a value too long for its column or a NUL in text; an outage is the
server gone. A refused record is logged with the call id, kept in the dead-letter file
and reported by ``frontdesk db flush-spool``; the rest of the call is stored. Text is
cleaned of NUL before it reaches the store, and call ids fit their columns whatever the
room's name or the tenant's id."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.capture.recorder import CallRecorder
from agent.control.dispatch import new_room_name
from agent.flow.events import NodeEntered
from agent.record.turn import TurnRecord
from agent.store import Store
from agent.store.calls import NewCall, get_call, new_call_id, participants
from agent.store.events import list_events
from agent.store.tables import Call
from agent.store.turns import list_turns
from agent.store.usage import load_prices

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LONG_TENANT = "a-bakery-with-a-very-long-name-for-its-tenant-id-0123456789abc"  # 63


async def _record(store: Store, call: NewCall, data_dir: Path, texts: list[str]) -> CallRecorder:
    recorder = CallRecorder(store, call, data_dir=data_dir, prices=load_prices(), retry_s=0.2)
    recorder.start()
    for n, text in enumerate(texts, start=1):
        at = T0 + timedelta(seconds=n)
        recorder.add_turn(TurnRecord("caller" if n % 2 else "agent", text, at, at))
        recorder.emit(NodeEntered(node=f"n{n}", kind="say", at=at))
    assert await recorder.close(ended_at=T0 + timedelta(minutes=1), status="completed", wait_s=30)
    return recorder


# ids fixed: a new room name is random, and xdist's workers must collect the same tests
@pytest.mark.parametrize(
    "room",
    [
        pytest.param("r" * 200, id="long"),
        pytest.param(new_room_name(LONG_TENANT), id="new-room-of-a-long-tenant"),
        pytest.param("a/../../b c\x00d", id="path-and-nul"),
    ],
)
async def test_a_call_in_a_room_with_a_long_name_is_stored_whole(
    store_url: str, tmp_path: Path, room: str
) -> None:
    call_id = new_call_id(room)
    assert len(call_id) <= Call.__table__.c.id.type.length
    assert "/" not in call_id and "\x00" not in call_id and not call_id.startswith(".")
    call = NewCall(id=call_id, tenant=LONG_TENANT, source="web", room=room, started_at=T0)
    store = Store.from_url(store_url)
    try:
        await _record(store, call, tmp_path, [f"turn {n}" for n in range(1, 7)])
        async with store.transaction() as s:
            turns = await list_turns(s, call_id)
            stored = await get_call(s, call_id)
    finally:
        await store.close()
    assert [t.text for t in turns] == [f"turn {n}" for n in range(1, 7)]
    assert stored is not None and stored.status == "completed"
    assert not list((tmp_path / "spool").glob("*.jsonl"))


async def test_a_nul_in_a_turn_is_cleaned_and_every_turn_stored(
    store_url: str, tmp_path: Path
) -> None:
    call = NewCall(id="nul-call", tenant="t1", source="sip", room="r", started_at=T0)
    texts = ["hello", "my name is \x00ada", "thanks", "bye"]
    store = Store.from_url(store_url)
    try:
        recorder = CallRecorder(store, call, data_dir=tmp_path, prices=load_prices())
        recorder.start()
        for n, text in enumerate(texts, start=1):
            recorder.add_turn(TurnRecord("caller", text, T0 + timedelta(seconds=n)))
        recorder.add_participant("caller\x00x", "caller", T0, number="+44\x00123")
        assert await recorder.close(ended_at=T0 + timedelta(minutes=1), status="completed")
        async with store.transaction() as s:
            turns = await list_turns(s, "nul-call")
            people = await participants(s, "nul-call")
    finally:
        await store.close()
    assert [t.text for t in turns] == ["hello", "my name is ada", "thanks", "bye"]
    assert [p.identity for p in people] == ["callerx"]


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_refused_record_goes_to_the_dead_letter_file_and_the_rest_is_stored(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    call = NewCall(id="refused-1", tenant="t1", source="web", room="r", started_at=T0)
    store = Store.from_url(store_url)
    try:
        recorder = CallRecorder(store, call, data_dir=tmp_path, prices=load_prices())
        recorder.start()
        recorder.add_turn(TurnRecord("caller", "first", T0))
        # a role longer than its column (16): Postgres refuses this one record
        recorder.add_participant("someone", "r" * 40, T0)
        recorder.add_turn(TurnRecord("agent", "second", T0 + timedelta(seconds=1)))
        assert await recorder.close(ended_at=T0 + timedelta(minutes=1), status="completed")
        async with store.transaction() as s:
            turns = await list_turns(s, "refused-1")
            events = await list_events(s, "refused-1")
            stored = await get_call(s, "refused-1")
    finally:
        await store.close()
    assert [t.text for t in turns] == ["first", "second"]
    assert events == [] and stored is not None and stored.status == "completed"
    assert recorder.refused == 1
    (dead,) = (tmp_path / "spool" / "dead-letter").glob("*.jsonl")
    (entry,) = [json.loads(line) for line in dead.read_text().splitlines()]
    assert entry["record"]["op"] == "participant"
    assert "too long" in entry["error"]
    logged = [r for r in caplog.records if r.getMessage() == "store refused a record"]
    assert logged and getattr(logged[0], "call_id", None) == "refused-1"
    assert not list((tmp_path / "spool").glob("*.jsonl"))  # nothing waits for an outage

    # the operator's report
    import asyncio

    env = {**os.environ, "FRONTDESK_DATA_DIR": str(tmp_path), "DATABASE_URL": store_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from agent.cli import main; main()",
        "db",
        "flush-spool",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await proc.communicate())[0].decode()
    assert proc.returncode == 0, out
    assert "refused-1: 1 refused record(s) (participant)" in out, out
    assert str(dead) in out and "Traceback" not in out
