"""How close to a meeting's start the agent is in its room: real livekit-server and
worker, the dispatcher's meeting scheduler in this process (SQLite store).

Usage: ``uv run python bench/meeting_join.py [--runs 10]``

For each run a meeting is created a few seconds ahead; the delay is the agent's
``joined_at`` (livekit-server's clock, ms) minus the scheduled start: negative is early.
Measured with the default join lead (the job fires ``FRONTDESK_MEETING_JOIN_LEAD`` = 2 s
before the start) and with no lead (the job fires at the start). The baseline is the
agent's join time for a room dispatched at once (``POST /v1/calls``'s path): what
dispatching alone costs, with no scheduler.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from livekit import api

from agent.config import Settings, load_settings
from agent.control.dispatch import dispatch_call, livekit_api
from agent.stack import LocalStack, StackPorts
from tests.meetings_support import dispatcher

AHEAD_S = 5.0
SETTLE_S = 8.0  # between runs: the last call's job ends and frees its worker slot


async def agent_joined_ms(lkapi: api.LiveKitAPI, room: str, timeout: float = 90) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room))
        except api.TwirpError:
            listing = api.ListParticipantsResponse()
        for p in listing.participants:
            if p.kind == api.ParticipantInfo.Kind.AGENT:
                return float(p.joined_at_ms or p.joined_at * 1000)
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no agent in {room}")


async def scheduled(settings: Settings, runs: int) -> list[float]:
    delays: list[float] = []
    lkapi = livekit_api(settings)
    try:
        async with dispatcher(settings) as http:
            for _ in range(runs):
                start = datetime.now(UTC) + timedelta(seconds=AHEAD_S)
                made = await http.post(
                    "/v1/meetings",
                    json={
                        "tenant": "crumb-and-co",
                        "title": "bench",
                        "start": start.isoformat(),
                        "attendees": [{"name": "Bench", "email": "bench@example.org"}],
                    },
                )
                room = f"meeting-{made.json()['id']}"
                joined = await agent_joined_ms(lkapi, room)
                delays.append(joined / 1000 - start.timestamp())
                await lkapi.room.delete_room(api.DeleteRoomRequest(room=room))
                await asyncio.sleep(SETTLE_S)
    finally:
        await lkapi.aclose()
    return delays


async def baseline(settings: Settings, runs: int) -> list[float]:
    delays: list[float] = []
    lkapi = livekit_api(settings)
    try:
        for _ in range(runs):
            asked = time.time()
            call = await dispatch_call(lkapi, settings, tenant="crumb-and-co", source="meeting")
            joined = await agent_joined_ms(lkapi, call.room)
            delays.append(joined / 1000 - asked)
            await lkapi.room.delete_room(api.DeleteRoomRequest(room=call.room))
            await asyncio.sleep(SETTLE_S)
    finally:
        await lkapi.aclose()
    return delays


def describe(delays: list[float]) -> str:
    ms = [d * 1000 for d in delays]
    return f"median {statistics.median(ms):7.0f} ms   worst {max(ms):7.0f} ms   (n={len(ms)})"


async def main(runs: int) -> None:
    settings = load_settings(check_keys=False)
    work = Path(tempfile.mkdtemp(prefix="frontdesk-bench-meetings-"))
    ports = StackPorts.ephemeral()
    env = {"FRONTDESK_DATA_DIR": str(work / "worker")}
    async with LocalStack(
        settings, ports=ports, log_dir=work / "logs", extra_env=env, with_dispatcher=False
    ) as stack:
        base = settings.model_copy(
            update={
                "livekit_url": stack.url,
                "data_dir": work / "dispatcher",
                "meeting_no_show_s": 3.0,
                "meeting_poll_s": 0.5,
            }
        )
        for _ in range(3):  # warm-up: the worker's first jobs (its processes load models)
            with contextlib.suppress(TimeoutError):
                await baseline(base, 1)
                break
        print("agent in the room, relative to the meeting's start (negative: early)")
        lead = await scheduled(base, runs)
        print(f"  scheduled, join lead 2 s (default)  {describe(lead)}", flush=True)
        no_lead = await scheduled(base.model_copy(update={"meeting_join_lead_s": 0.0}), runs)
        print(f"  scheduled, no join lead            {describe(no_lead)}", flush=True)
        dispatched = await baseline(base, runs)
        print(f"  baseline: dispatch now -> in room  {describe(dispatched)}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    asyncio.run(main(parser.parse_args().runs))
