"""Who resumes a call whose agent died, and when no one does: :mod:`agent.recovery`
against a scripted LiveKit (its Twirp API served on loopback, as livekit-server answers
it), and the dispatcher's ``participant_left`` handling, where recovery comes before
closing the room's calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from google.protobuf.message import Message
from livekit import api
from prometheus_client import REGISTRY

from agent.config import Settings, load_settings
from agent.control.room_events import CallCloser
from agent.recovery import RoomState, count_redispatch, redispatch, room_state
from agent.stack import free_port
from agent.store import Store
from agent.store.calls import NewCall, get_call, start_call
from agent.store.migrate import ensure_embedded_schema

pytestmark = pytest.mark.unit

AGENT = api.ParticipantInfo.Kind.AGENT
STANDARD = api.ParticipantInfo.Kind.STANDARD
LOST = "agent-AJ_lost"


@dataclass
class FakeLiveKit:
    """One room's participants and dispatches; records the dispatches created."""

    participants: list[api.ParticipantInfo] = field(default_factory=list)
    dispatches: list[api.AgentDispatch] = field(default_factory=list)
    room_exists: bool = True
    created: list[api.CreateAgentDispatchRequest] = field(default_factory=list)

    def routes(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/twirp/livekit.RoomService/ListParticipants", self._participants)
        app.router.add_post("/twirp/livekit.AgentDispatchService/ListDispatch", self._list)
        app.router.add_post("/twirp/livekit.AgentDispatchService/CreateDispatch", self._create)
        return app

    async def _participants(self, _req: web.Request) -> web.Response:
        if not self.room_exists:
            body = json.dumps({"code": "not_found", "msg": "requested room does not exist"})
            return web.Response(status=404, text=body, content_type="application/json")
        return _proto(api.ListParticipantsResponse(participants=self.participants))

    async def _list(self, _req: web.Request) -> web.Response:
        return _proto(api.ListAgentDispatchResponse(agent_dispatches=self.dispatches))

    async def _create(self, req: web.Request) -> web.Response:
        created = api.CreateAgentDispatchRequest.FromString(await req.read())
        self.created.append(created)
        return _proto(api.AgentDispatch(id="AD_new", room=created.room, metadata=created.metadata))


def _proto(message: Message) -> web.Response:
    return web.Response(body=message.SerializeToString(), content_type="application/protobuf")


def _person(identity: str, kind: api.ParticipantInfo.Kind.ValueType) -> api.ParticipantInfo:
    return api.ParticipantInfo(identity=identity, kind=kind)


@pytest.fixture
async def livekit() -> AsyncIterator[tuple[FakeLiveKit, str]]:
    fake = FakeLiveKit()
    runner = web.AppRunner(fake.routes())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def _redispatch(url: str) -> bool:
    lkapi = api.LiveKitAPI(url, "devkey", "frontdesk-dev-secret-0123456789abcdef")
    try:
        return await redispatch(
            lkapi,
            room="r1",
            agent_name="frontdesk",
            metadata='{"tenant": "t"}',
            lost=LOST,
            by="worker",
        )
    finally:
        await lkapi.aclose()


async def test_a_caller_left_without_an_agent_gets_one_dispatched_to_resume(
    livekit: tuple[FakeLiveKit, str],
) -> None:
    fake, url = livekit
    fake.participants = [_person("caller", STANDARD), _person(LOST, AGENT)]  # not gone yet
    assert await _redispatch(url)
    [created] = fake.created
    assert (created.room, created.agent_name) == ("r1", "frontdesk")
    resume = {"resume": True, "resume_of": LOST, "resume_by": "worker"}
    assert json.loads(created.metadata) == {"tenant": "t", **resume}
    before = _redispatched()
    count_redispatch(created.metadata)  # what the new job does as it starts
    assert _redispatched() == before + 1


def _redispatched() -> float:
    return REGISTRY.get_sample_value("frontdesk_jobs_redispatched_total", {"by": "worker"}) or 0.0


@pytest.mark.parametrize(
    ("participants", "dispatched", "state"),
    [
        ([_person(LOST, AGENT)], [], RoomState.GONE),  # the caller hung up
        ([_person("caller", STANDARD), _person("agent-AJ_new", AGENT)], [], RoomState.SERVED),
        (
            [_person("caller", STANDARD)],
            [api.AgentDispatch(id="AD_2", metadata=json.dumps({"resume_of": LOST}))],
            RoomState.SERVED,  # the worker dispatched already; its agent has not joined yet
        ),
    ],
)
async def test_one_loss_is_resumed_once_and_only_for_a_waiting_caller(
    livekit: tuple[FakeLiveKit, str],
    participants: list[api.ParticipantInfo],
    dispatched: list[api.AgentDispatch],
    state: RoomState,
) -> None:
    fake, url = livekit
    fake.participants, fake.dispatches = participants, dispatched
    lkapi = api.LiveKitAPI(url, "devkey", "frontdesk-dev-secret-0123456789abcdef")
    try:
        assert await room_state(lkapi, "r1", LOST) is state
    finally:
        await lkapi.aclose()
    assert not await _redispatch(url)
    assert fake.created == []


async def test_a_room_that_is_gone_needs_no_one(livekit: tuple[FakeLiveKit, str]) -> None:
    fake, url = livekit
    fake.room_exists = False
    assert not await _redispatch(url)
    assert fake.created == []


def _settings(tmp_path: Path, url: str) -> Settings:
    return load_settings(
        check_keys=False, data_dir=tmp_path, livekit_url=url, call_close_grace_s=0.2
    )


async def _active_call(settings: Settings, room: str) -> str:
    store = Store.open(settings)
    await ensure_embedded_schema(store.engine.url)
    call = NewCall(
        id=f"{room}-1", tenant="crumb-and-co", source="web", room=room, started_at=datetime.now(UTC)
    )
    async with store.transaction() as s:
        await start_call(s, call)
    await store.close()
    return call.id


async def _status(settings: Settings, call_id: str) -> str:
    store = Store.open(settings)
    async with store.transaction() as s:
        call = await get_call(s, call_id)
        assert call is not None
        status = call.status
    await store.close()
    return status


async def test_the_dispatcher_resumes_before_it_closes(
    livekit: tuple[FakeLiveKit, str], tmp_path: Path
) -> None:
    """The agent's participant_left with the caller still there: dispatched again with
    the room's first dispatch's metadata, and the call stays open for the new agent."""
    fake, url = livekit
    fake.participants = [_person("caller", STANDARD)]
    fake.dispatches = [api.AgentDispatch(id="AD_1", metadata='{"tenant": "crumb-and-co"}')]
    settings = _settings(tmp_path, url)
    call_id = await _active_call(settings, "r1")
    closer = CallCloser(settings)
    closer.agent_left("r1", LOST, "")
    await asyncio.sleep(1.0)  # past the grace
    await closer.aclose()
    [created] = fake.created
    assert json.loads(created.metadata)["tenant"] == "crumb-and-co"
    assert await _status(settings, call_id) == "active"


async def test_the_dispatcher_closes_a_call_whose_caller_is_gone(
    livekit: tuple[FakeLiveKit, str], tmp_path: Path
) -> None:
    fake, url = livekit
    settings = _settings(tmp_path, url)
    call_id = await _active_call(settings, "r1")
    closer = CallCloser(settings)
    closer.agent_left("r1", LOST, "")
    await asyncio.sleep(1.0)
    await closer.aclose()
    assert fake.created == []
    assert await _status(settings, call_id) == "failed"
