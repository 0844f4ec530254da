"""The local stack on loopback: dispatch through the HTTP API, and refusal of bad config."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time

import aiohttp
import psutil
import pytest
from livekit import api

from agent.config import Settings
from agent.control.dispatch import livekit_api
from agent.stack import LocalStack, Service
from tests.callers import (
    DEMO_TENANT,
    agent_in_room,
    agent_said,
    call,
    settings_for,
    wait_for_agent_speech,
)

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(180)]


def _room_log(worker: Service, room: str) -> str:
    """The worker's log lines about ``room``."""
    return "\n".join(line for line in worker.log_path.read_text().splitlines() if room in line)


async def test_http_api_dispatches_the_agent(stack: LocalStack, stack_settings: Settings) -> None:
    url = f"http://127.0.0.1:{stack.ports.dispatcher_http}/v1/calls"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=json.dumps({"tenant": "crumb-and-co"})) as resp:
            assert resp.status == 201, await resp.text()
            body = await resp.json()
        async with http.post(url, data=json.dumps({"tenant": "nobody"})) as refused:
            assert refused.status == 404
    assert body["room"].startswith("call-crumb-and-co-")
    lkapi = livekit_api(settings_for(stack, stack_settings))
    try:
        rooms = await lkapi.room.list_rooms(api.ListRoomsRequest(names=[body["room"]]))
        assert [r.name for r in rooms.rooms] == [body["room"]]
        assert json.loads(rooms.rooms[0].metadata) == {"tenant": "crumb-and-co"}
        assert await agent_in_room(lkapi, body["room"], timeout=60)
    finally:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=body["room"]))
        await lkapi.aclose()


def test_livekit_server_listens_on_loopback_only(stack: LocalStack) -> None:
    """No TCP port of the local LiveKit server is reachable from another host (its RTC
    TCP port bound every interface)."""
    server = next(s for s in stack.services if s.name == "livekit-server")
    assert server.pid is not None
    listening = [
        c.laddr
        for c in psutil.Process(server.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening, "livekit-server listens on nothing?"
    exposed = [addr for addr in listening if not ipaddress.ip_address(addr.ip).is_loopback]
    assert exposed == []


@pytest.mark.parametrize(
    ("tenant", "expected", "apology"),
    [
        ("ghost-tenant", r"unknown tenant 'ghost-tenant'", "not set up to take calls"),
        ("broken-bakery", r"broken_flow\.yaml:7", "can't take your call right now"),
        ("bad-timezone", r"unknown timezone 'Europe'", "can't take your call right now"),
    ],
)
async def test_bad_configuration_is_refused_cleanly(
    stack: LocalStack, stack_settings: Settings, tenant: str, expected: str, apology: str
) -> None:
    worker = next(s for s in stack.services if s.name == "worker")
    async with call(stack, stack_settings, tenant) as (caller, room):
        deadline = time.time() + 30
        while time.time() < deadline and not re.search(expected, _room_log(worker, room)):
            await asyncio.sleep(0.2)
        log = _room_log(worker, room)
        assert re.search(expected, log), worker.tail(40)
        assert "refusing call" in log
        # the caller is told politely, then the agent hangs up (the room is deleted)
        await asyncio.wait_for(caller.disconnected.wait(), timeout=30)
        assert apology in agent_said(caller), agent_said(caller)
        assert "Traceback" not in _room_log(worker, room)
    assert worker.running


def _metric(text: str, name: str, **labels: str) -> float:
    """A sample's value in Prometheus text, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, value = line.rsplit(" ", 1)
        if key == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


async def _scrape(stack: LocalStack) -> str:
    url = f"http://127.0.0.1:{stack.ports.worker_metrics}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_worker_metrics_move_during_a_call(
    stack: LocalStack, stack_settings: Settings
) -> None:
    """Scraped during and after a call: the call is active, then not; its turns are in
    the latency histogram (job processes' metrics, summed by livekit's server)."""
    labels = {"tenant": DEMO_TENANT, "source": "web"}
    before = await _scrape(stack)
    calls_before = _metric(before, "frontdesk_calls_total", **labels)
    turns_before = _metric(before, "frontdesk_turn_latency_seconds_count", part="e2e_latency")
    async with call(stack, stack_settings, DEMO_TENANT) as (caller, _room):
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        during = await _scrape(stack)
        assert _metric(during, "frontdesk_calls_active", **labels) >= 1, during
        said_at = time.time()
        await caller.say("opening hours")
        assert await caller.agent_turn_done(said_at, timeout=60)
    deadline = time.time() + 30
    while True:  # the job's shutdown callbacks run after the caller left
        after = await _scrape(stack)
        if _metric(after, "frontdesk_calls_active", **labels) == 0 or time.time() > deadline:
            break
        await asyncio.sleep(0.5)
    assert _metric(after, "frontdesk_calls_active", **labels) == 0, after
    assert _metric(after, "frontdesk_calls_total", **labels) == calls_before + 1
    turns = _metric(after, "frontdesk_turn_latency_seconds_count", part="e2e_latency")
    assert turns > turns_before, after
