"""Scheduled phone calls on real Postgres: a dispatcher killed before the call is due
loses nothing (the one back after its time rings it, once), and a call whose job fires
twice rings once. LiveKit is faked at the transport seam (:mod:`tests.fake_livekit`): it
records every number it is asked to dial."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from agent.config import ROOT, Settings, load_settings
from agent.control.dispatch import livekit_api
from agent.meetings.runner import MeetingRunner
from agent.meetings.scheduler import MeetingScheduler
from agent.sip.scheduled import ScheduledCalls
from agent.stack import Service, free_port
from agent.store import Store
from agent.store import scheduled_calls as repo
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.tables import ScheduledCall
from tests.fake_livekit import FakeLiveKit
from tests.pg import PostgresServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

LEAD_S = 8.0  # the call is due this long after it is asked for
CALLEE = "+15550004242"
NIGHT_OWL = """\
name: Night Owl
timezone: UTC
flow: receptionist
routing:
  phone_numbers: ["+15550004000"]
  calling_hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00",
                  thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00",
                  sun: "00:00-24:00"}
"""


@pytest_asyncio.fixture
async def fake_livekit() -> AsyncIterator[FakeLiveKit]:
    fake = FakeLiveKit()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def tenants(tmp_path: Path) -> Path:
    folder = tmp_path / "tenants" / "night-owl"
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text(NIGHT_OWL)
    return folder.parent


async def _database(postgres: PostgresServer, name: str) -> str:
    await asyncio.to_thread(postgres.psql, f"CREATE DATABASE {name}")
    url = postgres.url(name)
    await asyncio.to_thread(upgrade, normalize_url(url))
    return url


@asynccontextmanager
async def _dispatcher(env: dict[str, str], log: Path) -> AsyncIterator[tuple[Service, str]]:
    port = free_port()
    argv = [sys.executable, str(ROOT / "dispatcher.py"), "serve"]
    service = Service(
        log.stem,
        argv,
        re.compile("dispatcher listening"),
        log,
        env={**env, "FRONTDESK_DISPATCHER_PORT": str(port)},
    )
    await service.start(60)
    try:
        yield service, f"http://127.0.0.1:{port}"
    finally:
        await service.stop()


async def _until_settled(db_url: str, call_id: str, timeout: float = 60) -> ScheduledCall:
    store = Store.from_url(db_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with store.transaction() as s:
                call = await repo.get(s, call_id)
            assert call is not None
            if call.status not in (repo.SCHEDULED, repo.DIALING):
                return call
            assert time.monotonic() < deadline, f"the call never rang: {call.status}"
            await asyncio.sleep(0.5)
    finally:
        await store.close()


def _lines(log: Path, text: str) -> int:
    return log.read_text(encoding="utf-8").count(text) if log.exists() else 0


async def test_a_dispatcher_killed_before_a_call_is_due_still_rings_it_once(
    postgres: PostgresServer, fake_livekit: FakeLiveKit, tenants: Path, tmp_path: Path
) -> None:
    db_url = await _database(postgres, "scheduled_calls_restart")
    env = {
        "DATABASE_URL": db_url,
        "LIVEKIT_URL": fake_livekit.url,
        "FRONTDESK_TENANTS_DIR": str(tenants),
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_MEETING_POLL": "0.5",
    }
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    async with _dispatcher(env, first) as (service, base):
        at = datetime.now(UTC) + timedelta(seconds=LEAD_S)
        body = {"tenant": "night-owl", "phone_number": CALLEE, "at": at.isoformat()}
        async with httpx.AsyncClient() as client:
            made = await client.post(f"{base}/v1/calls", json=body, timeout=30)
        assert made.status_code == 202, made.text
        scheduled = made.json()
        assert not scheduled["moved"]
        assert datetime.fromisoformat(scheduled["rings_at"]) == at
        assert service.pid is not None
        os.killpg(service.pid, signal.SIGKILL)  # no shutdown: the job is only in Postgres
        await service.wait()
    await asyncio.sleep((at - datetime.now(UTC)).total_seconds() + 1)  # due while down
    assert fake_livekit.dialled == []
    async with _dispatcher(env, second):
        call = await _until_settled(db_url, scheduled["id"])
        await asyncio.sleep(3)  # time for a second, wrong dial to show up
    assert (call.status, call.outcome) == ("placed", "answered"), call.error
    assert [d.sip_call_to for d in fake_livekit.dialled] == [CALLEE]
    assert fake_livekit.dialled[0].room_name == call.room
    assert (_lines(first, "scheduled call placed"), _lines(second, "scheduled call placed")) == (
        0,
        1,
    )


@asynccontextmanager
async def _in_process(
    db_url: str, fake_livekit: FakeLiveKit, tenants: Path, data: Path
) -> AsyncIterator[tuple[ScheduledCalls, Store]]:
    """The dispatcher's scheduled calls and its scheduler, in this process."""
    settings: Settings = load_settings(
        check_keys=False,
        DATABASE_URL=db_url,
        LIVEKIT_URL=fake_livekit.url,
        FRONTDESK_TENANTS_DIR=str(tenants),
        FRONTDESK_DATA_DIR=str(data),
    )
    store = Store.open(settings)
    lkapi = livekit_api(settings)
    scheduler = MeetingScheduler(settings, store, MeetingRunner(settings, store, lkapi))
    calls = ScheduledCalls(settings, store, scheduler, lkapi)
    await scheduler.start()
    try:
        yield calls, store
    finally:
        await scheduler.stop()
        await lkapi.aclose()
        await store.close()


async def _add_due_now(store: Store, tenant: str) -> str:
    now = datetime.now(UTC)
    new = repo.NewScheduledCall(
        id="00000000000000aa", tenant=tenant, phone_number=CALLEE, requested_at=now, rings_at=now
    )
    async with store.transaction() as s:
        await repo.add(s, new)
    return new.id


async def _get(store: Store, call_id: str) -> ScheduledCall:
    async with store.transaction() as s:
        call = await repo.get(s, call_id)
    assert call is not None
    return call


async def test_a_call_whose_job_fires_twice_rings_once(
    postgres: PostgresServer, fake_livekit: FakeLiveKit, tenants: Path, tmp_path: Path
) -> None:
    """Two replicas, or a dispatcher killed between firing a job and deleting it: the
    claim (compare-and-set) lets one of them dial."""
    db_url = await _database(postgres, "scheduled_calls_twice")
    async with _in_process(db_url, fake_livekit, tenants, tmp_path / "data") as (calls, store):
        call_id = await _add_due_now(store, "night-owl")
        await asyncio.gather(calls.fire(call_id), calls.fire(call_id))
        await calls.fire(call_id)  # and once more, late
        call = await _get(store, call_id)
    assert (call.status, call.outcome) == ("placed", "answered")
    assert [d.sip_call_to for d in fake_livekit.dialled] == [CALLEE]


async def test_a_call_fired_late_outside_the_calling_hours_waits_for_them(
    postgres: PostgresServer, fake_livekit: FakeLiveKit, tenants: Path, tmp_path: Path
) -> None:
    """A dispatcher back after the calling hours closed: the call is moved to their next
    start (tomorrow, the only open day here), not rung now."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    if datetime.now(UTC) > datetime.combine(tomorrow, datetime.min.time(), UTC) - timedelta(
        seconds=30
    ):  # so close to midnight that "tomorrow" is about to be today
        await asyncio.sleep(35)
        tomorrow += timedelta(days=1)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    folder = tenants / "day-shift"
    folder.mkdir()
    (folder / "tenant.yaml").write_text(
        "name: Day Shift\ntimezone: UTC\nflow: receptionist\n"
        f'routing: {{phone_numbers: ["+15550004001"], calling_hours: {{{day}: "00:00-24:00"}}}}\n'
    )
    db_url = await _database(postgres, "scheduled_calls_late")
    async with _in_process(db_url, fake_livekit, tenants, tmp_path / "data") as (calls, store):
        call_id = await _add_due_now(store, "day-shift")
        await calls.fire(call_id)
        call = await _get(store, call_id)
    assert fake_livekit.dialled == []
    assert call.status == "scheduled"
    assert call.rings_at == datetime.combine(tomorrow, datetime.min.time(), UTC)
