"""The meeting scheduler's jobs survive a killed dispatcher, and with two dispatchers on
one Postgres only one fires them: real dispatcher processes (``dispatcher.py serve``),
real Postgres, the real livekit-server and worker. Counted: the agent dispatches to the
meeting's room (ours, by agent name), the dispatchers' "agent dispatched" lines, and the
reminder rows in the outbox; each must be exactly one."""

from __future__ import annotations

import asyncio
import contextlib
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
from livekit import api
from sqlalchemy import select

from agent.config import ROOT, Settings
from agent.control.dispatch import livekit_api
from agent.stack import LocalStack, Service, free_port
from agent.store import Store
from agent.store.engine import normalize_url
from agent.store.migrate import upgrade
from agent.store.tables import Meeting, OutboxRow
from tests.pg import PostgresServer
from tests.staff import add_staff_key, bearer

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(240)]

LEAD_S = 12.0  # the meeting starts this long after it is created


async def _database(postgres: PostgresServer, name: str) -> str:
    await asyncio.to_thread(postgres.psql, f"CREATE DATABASE {name}")
    url = postgres.url(name)
    await asyncio.to_thread(upgrade, normalize_url(url))
    return url


@asynccontextmanager
async def _dispatcher(
    stack: LocalStack, settings: Settings, db_url: str, log: Path
) -> AsyncIterator[tuple[Service, str]]:
    port = free_port()
    env = {
        **stack.child_env(),
        "DATABASE_URL": db_url,
        "FRONTDESK_DISPATCHER_PORT": str(port),
        "FRONTDESK_MEETING_REMINDER_MIN": str(6 / 60),
        "FRONTDESK_MEETING_JOIN_LEAD": "1",
        "FRONTDESK_MEETING_POLL": "0.5",
        "FRONTDESK_MEETING_NO_SHOW": "600",
    }
    argv = [sys.executable, str(ROOT / "dispatcher.py"), "serve"]
    service = Service(log.stem, argv, re.compile("dispatcher listening"), log, env=env)
    await service.start(60)
    try:
        yield service, f"http://127.0.0.1:{port}"
    finally:
        await service.stop()


def _kill(service: Service) -> None:
    assert service.pid is not None
    os.killpg(service.pid, signal.SIGKILL)


async def _create(base: str, db_url: str) -> tuple[str, datetime]:
    start = datetime.now(UTC) + timedelta(seconds=LEAD_S)
    body = {
        "tenant": "crumb-and-co",
        "title": "Replica check",
        "start": start.isoformat(),
        "attendees": [{"name": "Ada", "email": "ada@example.org"}],
    }
    async with httpx.AsyncClient() as client:
        headers = bearer(await add_staff_key(db_url, "crumb-and-co"))
        made = await client.post(f"{base}/v1/meetings", json=body, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    return str(made.json()["id"]), start


async def _outcome(settings: Settings, db_url: str, meeting_id: str) -> tuple[str, int, int]:
    """(status, agent dispatches to its room, reminder rows), once it has started."""
    store = Store.from_url(db_url)
    deadline = time.monotonic() + 60
    try:
        while True:
            async with store.transaction() as s:
                meeting = await s.get(Meeting, meeting_id)
                reminders = (
                    await s.scalars(
                        select(OutboxRow).where(OutboxRow.template == "meeting_reminder")
                    )
                ).all()
            assert meeting is not None
            if meeting.status == "started" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await store.close()
    await asyncio.sleep(3)  # time for a second, wrong dispatch to show up
    lkapi = livekit_api(settings)
    try:
        listed = await lkapi.agent_dispatch.list_dispatch(room_name=f"meeting-{meeting_id}")
        # nobody attends: end the room, or the agent holds a job slot of the shared
        # stack's worker for the whole no-show grace
        with contextlib.suppress(api.TwirpError):
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=f"meeting-{meeting_id}"))
    finally:
        await lkapi.aclose()
    ours = [d for d in listed if d.agent_name == settings.agent_name]
    return meeting.status, len(ours), len(reminders)


def _lines(log: Path, text: str) -> int:
    return log.read_text(encoding="utf-8").count(text) if log.exists() else 0


@pytest.mark.parametrize("back", ["at once", "after the start"])
async def test_a_dispatcher_killed_before_the_start_still_joins_once(
    stack: LocalStack,
    stack_settings: Settings,
    postgres: PostgresServer,
    tmp_path: Path,
    back: str,
) -> None:
    settings = stack_settings.model_copy(update={"livekit_url": stack.url})
    db_url = await _database(postgres, f"meetings_restart_{back.replace(' ', '_')}")
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    async with _dispatcher(stack, settings, db_url, first) as (service, base):
        meeting_id, start = await _create(base, db_url)
        _kill(service)  # SIGKILL: no shutdown, the scheduler's state is only in Postgres
        await service.wait()
    if back == "after the start":  # the reminder and the join both fall due while down
        await asyncio.sleep((start - datetime.now(UTC)).total_seconds() + 1)
    async with _dispatcher(stack, settings, db_url, second):
        status, dispatches, reminders = await _outcome(settings, db_url, meeting_id)
    assert (status, dispatches, reminders) == ("started", 1, 1)
    assert _lines(first, "agent dispatched to meeting") == 0
    assert _lines(second, "agent dispatched to meeting") == 1


async def test_two_dispatchers_join_once(
    stack: LocalStack, stack_settings: Settings, postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = stack_settings.model_copy(update={"livekit_url": stack.url})
    db_url = await _database(postgres, "meetings_pair")
    logs = tmp_path / "a.log", tmp_path / "b.log"
    async with (
        _dispatcher(stack, settings, db_url, logs[0]) as (_, _base_a),
        _dispatcher(stack, settings, db_url, logs[1]) as (_, base_b),
    ):
        meeting_id, _ = await _create(base_b, db_url)
        status, dispatches, reminders = await _outcome(settings, db_url, meeting_id)
    assert (status, dispatches, reminders) == ("started", 1, 1)
    assert sum(_lines(log, "meeting scheduler is the leader") for log in logs) == 1
    assert sum(_lines(log, "agent dispatched to meeting") for log in logs) == 1
    # the lock, not only the meeting's status, kept the standby from firing
    assert sum(_lines(log, "meeting already joined") for log in logs) == 0
