"""A fake LiveKit server API for the dispatcher's outbound calls, at the transport seam:
an HTTP server on loopback that answers livekit-api's Twirp requests (protobuf) for
what :func:`agent.sip.outbound.dial_out` asks (the outbound trunk, a room, the agent's
dispatch, the SIP call) and records every call it was asked to dial. No phone rings:
each call is "answered" at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from google.protobuf.message import Message
from livekit import api
from livekit.protocol import sip

from agent.sip.plan import MANAGED, OUTBOUND

Handler = Callable[[bytes], Message]


@dataclass
class FakeLiveKit:
    dialled: list[sip.CreateSIPParticipantRequest] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        routes: dict[str, Handler] = {
            "SIP/ListSIPOutboundTrunk": self._trunks,
            "RoomService/CreateRoom": self._room,
            "AgentDispatchService/CreateDispatch": self._dispatch,
            "SIP/CreateSIPParticipant": self._dial,
        }
        for path, handler in routes.items():
            app.router.add_post(f"/twirp/livekit.{path}", _twirp(handler))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _trunks(self, _body: bytes) -> Message:
        trunk = sip.SIPOutboundTrunkInfo(sip_trunk_id="ST_fake", name=OUTBOUND, metadata=MANAGED)
        return sip.ListSIPOutboundTrunkResponse(items=[trunk])

    def _room(self, body: bytes) -> Message:
        return api.Room(name=api.CreateRoomRequest.FromString(body).name)

    def _dispatch(self, body: bytes) -> Message:
        request = api.CreateAgentDispatchRequest.FromString(body)
        return api.AgentDispatch(id="AD_fake", room=request.room)

    def _dial(self, body: bytes) -> Message:
        request = sip.CreateSIPParticipantRequest.FromString(body)
        self.dialled.append(request)
        return sip.SIPParticipantInfo(room_name=request.room_name)


def _twirp(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        answer = handler(await request.read())
        return web.Response(body=answer.SerializeToString(), content_type="application/protobuf")

    return serve
