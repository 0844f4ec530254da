"""A spool outlives its call when the database is down past hang-up. It is flushed, the
call finalized and its post-call run in the background, without waiting for another
call: by the worker (its main process sweeps the spool folder) and by
``frontdesk outbox run --forever`` (real Postgres, the real processes)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.capture.recorder import CallRecorder
from agent.config import ROOT
from agent.record.turn import TurnRecord
from agent.stack import free_port
from agent.store import Store
from agent.store.analyses import analyses_for_call
from agent.store.calls import NewCall, get_call
from agent.store.turns import list_turns
from agent.store.usage import load_prices
from tests.pg import PostgresServer
from tests.postcall_support import write_tenant

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(240)]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def _call_left_in_the_spool(
    server: PostgresServer, store: Store, data_dir: Path, call_id: str
) -> None:
    """A call whose store goes away mid-call and stays away past its end."""
    call = NewCall(id=call_id, tenant="crumb-test", source="sip", room="r", started_at=T0)
    recorder = CallRecorder(
        store, call, data_dir=data_dir, prices=load_prices(), retry_s=0.2, write_timeout_s=2
    )
    recorder.start()
    recorder.add_turn(TurnRecord("agent", "hello, crumb and co", T0))
    while not recorder._queue.empty() or recorder.offline:
        await asyncio.sleep(0.05)
    server.stop("immediate")
    try:
        for n in range(1, 5):
            at = T0 + timedelta(seconds=n)
            recorder.add_turn(TurnRecord("caller" if n % 2 else "agent", f"turn {n}", at))
        ended = T0 + timedelta(minutes=1)
        assert not await recorder.close(ended_at=ended, status="completed", wait_s=3)
    finally:
        server.start()
    assert (data_dir / "spool" / f"{call_id}.jsonl").is_file()


async def _wait_finalized(store: Store, call_id: str, timeout: float = 90) -> tuple[int, bool]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with store.transaction() as s:
            call = await get_call(s, call_id)
            turns = await list_turns(s, call_id)
            analysed = bool(await analyses_for_call(s, call_id))
        if call is not None and call.status == "completed" and analysed:
            return len(turns), analysed
        await asyncio.sleep(0.5)
    raise AssertionError(f"call {call_id} was not finalized and analysed in {timeout:.0f} s")


def _env(store_url: str, data_dir: Path, tenants: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": store_url,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_TENANTS_DIR": str(tenants),
        "FRONTDESK_SPOOL_SWEEP": "1",
        "FRONTDESK_OUTBOX_POLL": "1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("sweeper", ["worker", "outbox-run-forever"])
async def test_a_spool_left_after_hang_up_is_flushed_in_the_background(
    request: pytest.FixtureRequest, store_url: str, tmp_path: Path, sweeper: str
) -> None:
    server: PostgresServer = request.getfixturevalue("postgres")
    data_dir, call_id = tmp_path / "data", f"left-{sweeper}"
    tenants = write_tenant(tmp_path)
    store = Store.from_url(store_url)
    env = _env(store_url, data_dir, tenants)
    if sweeper == "worker":  # no LiveKit server: the worker takes no call, it only retries
        env |= {"LIVEKIT_URL": f"ws://127.0.0.1:{free_port()}"}
        env |= {"FRONTDESK_WORKER_PORT": str(free_port())}
        argv = [str(ROOT / "worker.py"), "start"]
    else:
        argv = ["-c", "from agent.cli import main; main()", "outbox", "run", "--forever"]
    proc = None
    try:
        await _call_left_in_the_spool(server, store, data_dir, call_id)
        async with store.transaction() as s:  # 1 of 5 turns reached the store
            assert len(await list_turns(s, call_id)) == 1
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        turns, _ = await _wait_finalized(store, call_id)
        assert turns == 5
        assert not (data_dir / "spool" / f"{call_id}.jsonl").exists()
        assert proc.returncode is None  # it keeps running
    finally:
        if proc is not None and proc.returncode is None:
            proc.terminate()
            out = (await asyncio.wait_for(proc.communicate(), 60))[0].decode(errors="replace")
            assert "Traceback" not in out, out
        await store.close()
