"""LiveKit's webhooks drive the stored calls: ``room_finished`` and the agent's
``participant_left`` close a call its worker left ``active`` (the worker died), after a
grace; a call the worker finalized keeps its own record; a call whose webhooks were lost
is closed once it is older than ``FRONTDESK_MAX_CALL_MINUTES``. The webhooks are signed
as livekit-server signs them, and the store is a real SQLite file."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from google.protobuf.json_format import MessageToJson
from livekit import api

from agent.config import Settings, load_settings
from agent.control.app import create_app
from agent.control.room_events import CallCloser
from agent.store import Store
from agent.store.calls import NewCall, finalize_call, get_call, start_call
from agent.store.migrate import ensure_embedded_schema

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC)


def _call(call_id: str, room: str, started: datetime = NOW) -> NewCall:
    return NewCall(id=call_id, tenant="crumb-and-co", source="web", room=room, started_at=started)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        check_keys=False,
        data_dir=tmp_path,
        livekit_url="ws://127.0.0.1:9",
        call_close_grace_s=0.2,
    )


async def _seed(settings: Settings, *calls: NewCall, finalized: str | None = None) -> None:
    store = Store.open(settings)
    await ensure_embedded_schema(store.engine.url)
    async with store.transaction() as s:
        for call in calls:
            await start_call(s, call)
        if finalized:
            await finalize_call(s, finalized, ended_at=NOW, status="completed", end_node="end")
    await store.close()


async def _status(settings: Settings, call_id: str) -> tuple[str, str | None]:
    store = Store.open(settings)
    async with store.transaction() as s:
        call = await get_call(s, call_id)
        assert call is not None
        result = (call.status, call.end_reason)
    await store.close()
    return result


def _signed(event: api.WebhookEvent) -> tuple[str, str]:
    body = MessageToJson(event)
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = api.AccessToken("devkey", "frontdesk-dev-secret-0123456789abcdef")
    return body, token.with_sha256(digest).to_jwt()


def _post(client: TestClient, event: api.WebhookEvent) -> None:
    body, token = _signed(event)
    resp = client.post("/livekit/webhook", content=body, headers={"Authorization": token})
    assert resp.status_code == 200, resp.text


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


async def _eventually_closed(settings: Settings, call_id: str) -> tuple[str, str | None]:
    for _ in range(100):
        status = await _status(settings, call_id)
        if status[0] != "active":
            return status
        await asyncio.sleep(0.1)
    return status


async def test_room_finished_closes_the_call_a_dead_worker_left_active(
    settings: Settings, client: TestClient
) -> None:
    await _seed(settings, _call("c-dead", "room-a"), _call("c-other", "room-b"))
    _post(client, api.WebhookEvent(event="room_finished", room=api.Room(name="room-a")))
    status, reason = await _eventually_closed(settings, "c-dead")
    assert status == "failed" and reason is not None and reason.startswith("room_finished")
    assert (await _status(settings, "c-other"))[0] == "active"  # another room's call


async def test_the_agent_leaving_closes_the_call_but_a_caller_leaving_does_not(
    settings: Settings, client: TestClient
) -> None:
    await _seed(settings, _call("c-meet", "room-m"))
    attendee = api.ParticipantInfo(identity="visitor", kind=api.ParticipantInfo.Kind.STANDARD)
    _post(
        client,
        api.WebhookEvent(
            event="participant_left", room=api.Room(name="room-m"), participant=attendee
        ),
    )
    await asyncio.sleep(1.0)  # five graces: the meeting goes on
    assert (await _status(settings, "c-meet"))[0] == "active"
    agent = api.ParticipantInfo(identity="agent-1", kind=api.ParticipantInfo.Kind.AGENT)
    _post(
        client,
        api.WebhookEvent(event="participant_left", room=api.Room(name="room-m"), participant=agent),
    )
    status, reason = await _eventually_closed(settings, "c-meet")
    assert status == "failed" and reason is not None and "participant_left" in reason


async def test_a_call_its_worker_finalized_keeps_its_record(
    settings: Settings, client: TestClient
) -> None:
    await _seed(settings, _call("c-done", "room-d"), finalized="c-done")
    _post(client, api.WebhookEvent(event="room_finished", room=api.Room(name="room-d")))
    await asyncio.sleep(1.0)
    assert await _status(settings, "c-done") == ("completed", None)


async def test_a_call_whose_webhooks_were_lost_is_closed_when_overlong(settings: Settings) -> None:
    old = NOW - timedelta(minutes=settings.max_call_minutes + 5)
    await _seed(settings, _call("c-old", "room-o", started=old), _call("c-new", "room-n"))
    assert await CallCloser(settings).sweep() == ["c-old"]
    status, reason = await _status(settings, "c-old")
    assert status == "failed" and reason is not None and "minutes" in reason
    assert (await _status(settings, "c-new"))[0] == "active"
