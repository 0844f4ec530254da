"""A web visitor's session through the real stack: the campaign's room and agent, the
counted visit, and a token that livekit-server holds to its grants (one room, the
microphone only, no data, not after it expired)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from livekit import api, rtc
from livekit.protocol import rtc as rtc_pb
from livekit.rtc.participant import PublishTrackError

from agent.config import Settings
from agent.control.dispatch import livekit_api, participant_token
from agent.stack import LocalStack
from agent.store.engine import Store
from agent.store.visits import campaign_stats
from agent.web.tokens import visitor_token
from tests.callers import agent_in_room, settings_for

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(180)]

CAMPAIGN = {"tenant": "crumb-and-co", "campaign": "spring-cakes"}


@pytest.fixture
async def lkapi(stack: LocalStack, stack_settings: Settings) -> AsyncIterator[api.LiveKitAPI]:
    client = livekit_api(settings_for(stack, stack_settings))
    yield client
    await client.aclose()


async def _visits(settings: Settings) -> int:
    store = Store.open(settings)
    try:
        async with store.transaction() as s:
            return (await campaign_stats(s, CAMPAIGN["tenant"], CAMPAIGN["campaign"])).visits
    finally:
        await store.close()


async def test_a_session_opens_the_campaign_room_with_the_agent(
    stack: LocalStack, stack_settings: Settings, lkapi: api.LiveKitAPI
) -> None:
    before = await _visits(stack_settings)
    url = f"http://127.0.0.1:{stack.ports.dispatcher_http}/v1/web/sessions"
    async with aiohttp.ClientSession() as http, http.post(url, json=CAMPAIGN) as resp:
        assert resp.status == 201, await resp.text()
        session = await resp.json()
    room = session["room"]
    try:
        assert session["url"] == stack.url
        rooms = await lkapi.room.list_rooms(api.ListRoomsRequest(names=[room]))
        assert json.loads(rooms.rooms[0].metadata) == {**CAMPAIGN, "source": "web"}
        assert await agent_in_room(lkapi, room, timeout=60)
        assert await _visits(stack_settings) == before + 1
        # the token the browser got joins that room as the visitor
        visitor = rtc.Room()
        await visitor.connect(stack.url, session["token"])
        assert visitor.name == room
        assert visitor.local_participant.identity == session["identity"]
        await visitor.disconnect()
    finally:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room))


async def test_livekit_holds_the_visitor_token_to_its_grants(
    stack: LocalStack, stack_settings: Settings, lkapi: api.LiveKitAPI
) -> None:
    settings = settings_for(stack, stack_settings)
    for name in ("web-grants-a", "web-grants-b"):
        await lkapi.room.create_room(api.CreateRoomRequest(name=name, empty_timeout=30))
    token = visitor_token(settings, room="web-grants-a", identity="visitor-grants")
    observer, peer, visitor = rtc.Room(), rtc.Room(), rtc.Room()
    received: list[bytes] = []
    observer.on("data_received", lambda packet: received.append(packet.data))
    try:
        await observer.connect(
            stack.url, participant_token(settings, room="web-grants-a", identity="observer")
        )
        await peer.connect(
            stack.url, participant_token(settings, room="web-grants-a", identity="peer")
        )
        await visitor.connect(stack.url, token)
        assert visitor.name == "web-grants-a"

        # data: the visitor's is dropped by the server; a participant allowed to send gets through
        await visitor.local_participant.publish_data(b"from the visitor", reliable=True)
        await peer.local_participant.publish_data(b"from a peer", reliable=True)
        deadline = time.time() + 10
        while time.time() < deadline and not received:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the visitor's packet, sent first, would be here by now
        assert received == [b"from a peer"]

        # sources: the microphone is published, a camera is not
        mic = rtc.LocalAudioTrack.create_audio_track("mic", rtc.AudioSource(48000, 1))
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        assert (await visitor.local_participant.publish_track(mic, options)).sid
        camera = rtc.LocalVideoTrack.create_video_track("cam", rtc.VideoSource(320, 240))
        with pytest.raises(PublishTrackError):
            await visitor.local_participant.publish_track(
                camera, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA)
            )
        listing = await lkapi.room.list_participants(
            api.ListParticipantsRequest(room="web-grants-a")
        )
        tracks = {
            t.source
            for p in listing.participants
            if p.identity == "visitor-grants"
            for t in p.tracks
        }
        assert tracks == {rtc.TrackSource.SOURCE_MICROPHONE}
    finally:
        for room in (visitor, peer, observer):
            await room.disconnect()


async def test_the_visitor_token_reaches_no_other_room(
    stack: LocalStack, stack_settings: Settings, lkapi: api.LiveKitAPI
) -> None:
    settings = settings_for(stack, stack_settings)
    for name in ("web-own-room", "web-other-room"):
        await lkapi.room.create_room(api.CreateRoomRequest(name=name, empty_timeout=30))
    token = visitor_token(settings, room="web-own-room", identity="visitor-roaming")
    http_base = f"http://127.0.0.1:{stack.ports.livekit}"
    async with aiohttp.ClientSession() as http:
        # asking the signal endpoint for the other room still lands in the token's own
        signal = f"{stack.url}/rtc?access_token={token}&room=web-other-room"
        async with http.ws_connect(signal) as ws:
            message = await ws.receive(timeout=10)
            response = rtc_pb.SignalResponse()
            response.ParseFromString(message.data)
            assert response.join.room.name == "web-own-room"
            other = await lkapi.room.list_participants(
                api.ListParticipantsRequest(room="web-other-room")
            )
            assert [p.identity for p in other.participants] == []
        # and the room service refuses it outright
        async with http.post(
            f"{http_base}/twirp/livekit.RoomService/ListParticipants",
            json={"room": "web-other-room"},
            headers={"Authorization": f"Bearer {token}"},
        ) as refused:
            assert refused.status == 401
            assert "permissions denied" in await refused.text()


async def test_an_expired_visitor_token_is_refused(
    stack: LocalStack, stack_settings: Settings, lkapi: api.LiveKitAPI
) -> None:
    """Expired two minutes ago: past livekit-server's one minute of clock-skew leeway."""
    settings = settings_for(stack, stack_settings)
    await lkapi.room.create_room(api.CreateRoomRequest(name="web-expired", empty_timeout=30))
    expired = visitor_token(
        settings, room="web-expired", identity="visitor-late", ttl=timedelta(seconds=-120)
    )
    late = rtc.Room()
    with pytest.raises(rtc.ConnectError, match="expired"):
        await late.connect(stack.url, expired, rtc.RoomOptions(connect_timeout=10))
    fresh = rtc.Room()
    await fresh.connect(stack.url, visitor_token(settings, room="web-expired", identity="v-ok"))
    assert fresh.name == "web-expired"
    await fresh.disconnect()
