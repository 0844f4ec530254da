"""The token the console mints for taking a call (``POST /v1/calls/{id}/take``), held to
its grants by the real livekit-server: it joins that call's room and no other, and the
dispatcher mints none for another tenant's call."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from livekit import api, rtc
from livekit.protocol import rtc as rtc_pb

from agent.config import Settings
from agent.control.dispatch import livekit_api
from agent.stack import LocalStack
from agent.store import calls as call_repo
from agent.store.engine import Store
from tests.callers import settings_for
from tests.staff import staff_headers

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(180)]

ROOM_A, ROOM_B, ROOM_OTHER = "staff-token-room-a", "staff-token-room-b", "staff-token-lumen"


@pytest.fixture
async def lkapi(stack: LocalStack, stack_settings: Settings) -> AsyncIterator[api.LiveKitAPI]:
    client = livekit_api(settings_for(stack, stack_settings))
    yield client
    await client.aclose()


async def _add_call(settings: Settings, tenant: str, room: str) -> str:
    """A live web call of ``tenant`` in ``room``, as the worker records one."""
    call_id = f"call-{room}"
    store = Store.open(settings)
    try:
        async with store.transaction() as s:
            new = call_repo.NewCall(
                id=call_id, tenant=tenant, source="web", room=room, started_at=datetime.now(UTC)
            )
            await call_repo.start_call(s, new)
    finally:
        await store.close()
    return call_id


def _with_room(token: str, room: str) -> str:
    """``token`` with its grant's room rewritten, and its signature left as it was."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["video"]["room"] = room
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def _identities(lkapi: api.LiveKitAPI, room: str) -> list[str]:
    listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room))
    return [p.identity for p in listing.participants]


async def test_a_staff_token_joins_its_call_room_only(
    stack: LocalStack, stack_settings: Settings, lkapi: api.LiveKitAPI
) -> None:
    for name in (ROOM_A, ROOM_B, ROOM_OTHER):
        await lkapi.room.create_room(api.CreateRoomRequest(name=name, empty_timeout=30))
    call_a = await _add_call(stack.settings, "crumb-and-co", ROOM_A)
    await _add_call(stack.settings, "crumb-and-co", ROOM_B)
    lumens = await _add_call(stack.settings, "lumen-salon", ROOM_OTHER)
    headers = await staff_headers(stack.settings, "crumb-and-co")
    control = f"http://127.0.0.1:{stack.ports.dispatcher_http}/v1/calls"
    http_base = f"http://127.0.0.1:{stack.ports.livekit}"
    staff = rtc.Room()
    async with aiohttp.ClientSession() as http:
        # another tenant's call: no token at all
        async with http.post(f"{control}/{lumens}/take", headers=headers) as refused:
            assert refused.status == 403, await refused.text()
            assert "token" not in await refused.json()
        async with http.post(f"{control}/{call_a}/take", headers=headers) as taken:
            assert taken.status == 200, await taken.text()
            body = await taken.json()
        assert body["room"] == ROOM_A
        token, identity = body["token"], body["identity"]
        try:
            # the token joins room A, as the staff member
            await staff.connect(stack.url, token)
            assert staff.name == ROOM_A
            assert staff.local_participant.identity == identity
            assert identity in await _identities(lkapi, ROOM_A)

            # asking the signal endpoint for room B still lands in room A
            signal = f"{stack.url}/rtc?access_token={token}&room={ROOM_B}"
            async with http.ws_connect(signal) as ws:
                response = rtc_pb.SignalResponse()
                response.ParseFromString((await ws.receive(timeout=10)).data)
                assert response.join.room.name == ROOM_A
                assert identity not in await _identities(lkapi, ROOM_B)

            # the token with its room rewritten to B is not signed: refused
            forged = rtc.Room()
            with pytest.raises(rtc.ConnectError):
                await forged.connect(
                    stack.url, _with_room(token, ROOM_B), rtc.RoomOptions(connect_timeout=10)
                )
            assert await _identities(lkapi, ROOM_B) == []

            # and it is no key to the room service, for room B or any other
            for room in (ROOM_B, ROOM_OTHER):
                async with http.post(
                    f"{http_base}/twirp/livekit.RoomService/ListParticipants",
                    json={"room": room},
                    headers={"Authorization": f"Bearer {token}"},
                ) as denied:
                    assert denied.status == 401, room
                    assert "permissions denied" in await denied.text()
        finally:
            await staff.disconnect()
            for name in (ROOM_A, ROOM_B, ROOM_OTHER):
                await lkapi.room.delete_room(api.DeleteRoomRequest(room=name))
