"""A caller on the phone: the demo's simulated caller whose mouth and ear are a real SIP
phone (:mod:`tests.sip_phone`) dialling livekit-sip.

It speaks eSpeak NG audio into the call and decodes what the phone receives with the
local STT, as the WebRTC caller does. To know what the agent meant to say (its
transcripts) and whether it is speaking, it also joins the call's room as a hidden
observer that publishes nothing: every sound of the conversation goes through SIP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from livekit import api, rtc
from livekit.agents.types import (
    ATTRIBUTE_TRANSCRIPTION_FINAL,
    ATTRIBUTE_TRANSCRIPTION_TRACK_ID,
    TOPIC_TRANSCRIPTION,
)

from agent.config import ROOT, Settings, load_settings
from agent.control.dispatch import livekit_api
from agent.demo.caller import SimulatedCaller, Spoken, Transcribed, _silent_edges
from agent.demo.lines import expected_phrases
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.session import prepare_call
from agent.sip.plan import load_all_tenants, plan_for
from agent.sip.sync import sync
from agent.stack import LocalStack, StackPorts
from tests.sip_phone import RATE, CallOutcome, SipPhone

PHONE_RATE = RATE
KEYPAD = "keypad "  # a script line that is keyed in rather than said
DTMF_KEY_S = 0.25  # PJSUA2 sends a key as 160 ms of RFC 2833 events, then a gap


class SipCaller(SimulatedCaller):
    """Speaks and listens through ``phone``; reads the room only as a hidden observer."""

    def __init__(self, phone: SipPhone, ear: PocketSphinxSTT) -> None:
        super().__init__(ear)
        self.phone = phone
        self.received: list[tuple[float, bytes]] = []  # (arrival time, 20 ms of audio)
        self._loop = asyncio.get_running_loop()
        self._to_phone = rtc.AudioResampler(48000, PHONE_RATE, num_channels=1)
        phone.on_audio = self._from_phone  # from the phone's media thread

    async def join(self, url: str, token: str) -> None:
        self.room.on("participant_attributes_changed", self._on_attributes)
        self.room.on("disconnected", lambda *_: self.disconnected.set())
        self.room.register_text_stream_handler(TOPIC_TRANSCRIPTION, self._on_text)
        await self.room.connect(url, token, rtc.RoomOptions(auto_subscribe=False))

    async def leave(self) -> None:
        self.phone.on_audio = lambda _data, _at: None
        await super().leave()

    # -- mouth: the phone ------------------------------------------------------------------

    async def say(self, text: str) -> Spoken:
        """Speak ``text``; a line ``"keypad <keys>"`` is keyed in (DTMF) instead."""
        if not text.startswith(KEYPAD):
            return await super().say(text)
        keys = text.removeprefix(KEYPAD)
        start = time.time()
        await self.phone.dtmf(keys)
        await asyncio.sleep(len(keys) * DTMF_KEY_S)  # the phone sends them one by one
        return Spoken(text=text, start=start, end=time.time())

    async def play(self, samples: np.ndarray, *, text: str = "") -> Spoken:
        lead, trail = _silent_edges(samples)
        frames = self._to_phone.push(rtc.AudioFrame(samples.tobytes(), 48000, 1, len(samples)))
        pcm = b"".join(bytes(f.data) for f in frames)
        start = time.time() + self.phone.queued_s + lead
        queued = self.phone.send(pcm)
        await asyncio.sleep(queued)
        played = time.time()
        return Spoken(text=text, start=start, end=max(played - trail, start))

    # -- ear: the phone --------------------------------------------------------------------

    def _from_phone(self, data: bytes, at: float) -> None:
        self._loop.call_soon_threadsafe(self._hear, data, at)

    def _hear(self, data: bytes, at: float) -> None:
        self.received.append((at, data))
        frame = rtc.AudioFrame(data, PHONE_RATE, 1, len(data) // 2)
        utterance = self._segmenter.push(frame, now=at)
        if utterance is not None:
            task = asyncio.create_task(self._decode(utterance))
            self._decodes.add(task)
            task.add_done_callback(self._decodes.discard)

    # -- what the agent publishes ----------------------------------------------------------

    async def _read_text(self, reader: rtc.TextStreamReader) -> None:
        text = await reader.read_all()
        attributes = reader.info.attributes or {}
        if attributes.get(ATTRIBUTE_TRANSCRIPTION_FINAL) == "true" and text.strip():
            own = attributes.get(ATTRIBUTE_TRANSCRIPTION_TRACK_ID) in self._phone_tracks()
            self.transcripts.append(Transcribed(text.strip(), own, time.time()))

    def _phone_tracks(self) -> set[str]:
        return {
            sid
            for p in self.room.remote_participants.values()
            if p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
            for sid in p.track_publications
        }

    def recording(self) -> np.ndarray:
        """Everything the phone received, as one 16 kHz int16 array."""
        return np.frombuffer(b"".join(d for _, d in self.received), dtype=np.int16)


@dataclass
class PhoneCall:
    caller: SipCaller
    outcome: CallOutcome
    room: str  # "" when no room was found (the call was refused in SIP)


async def find_room(lkapi: api.LiveKitAPI, caller_number: str, timeout: float = 30) -> str:
    """The room whose SIP participant calls from ``caller_number``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for room in (await lkapi.room.list_rooms(api.ListRoomsRequest())).rooms:
            request = api.ListParticipantsRequest(room=room.name)
            listing = await lkapi.room.list_participants(request)
            for p in listing.participants:
                if p.attributes.get("sip.phoneNumber") == caller_number:
                    return str(room.name)
        await asyncio.sleep(0.1)
    return ""


def observer_token(settings: Settings, room: str) -> str:
    grants = api.VideoGrants(room_join=True, room=room, hidden=True, can_publish=False)
    return (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())
        .with_identity(f"observer-{room}")
        .with_grants(grants)
        .to_jwt()
    )


@asynccontextmanager
async def phone_call(
    phone: SipPhone,
    settings: Settings,
    *,
    uri: str,
    caller_number: str,
    tenant: str | None,
    expect: Sequence[str] = (),
) -> AsyncIterator[PhoneCall]:
    """Dial ``uri`` from ``caller_number``; once answered, observe its room. The ear
    expects the lines of ``tenant``'s phone flow, else ``expect``."""
    ear = PocketSphinxSTT()
    caller = SipCaller(phone, ear)
    caller.expect(expect)
    if tenant is not None:
        metadata = json.dumps({"tenant": tenant, "source": "sip"})
        plan = await asyncio.to_thread(prepare_call, settings, metadata)
        caller.expect(expected_phrases(plan))
    outcome = await phone.dial(uri, caller=caller_number)
    lkapi = livekit_api(settings)
    try:
        answered = asyncio.create_task(outcome.answered.wait())
        ended = asyncio.create_task(outcome.ended.wait())
        await asyncio.wait({answered, ended}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        for task in (answered, ended):
            task.cancel()
        room = await find_room(lkapi, caller_number) if outcome.answered.is_set() else ""
        if room:
            await caller.join(settings.livekit_url, observer_token(settings, room))
        yield PhoneCall(caller, outcome, room)
    finally:
        with contextlib.suppress(Exception):
            await phone.hang_up()
        await caller.leave()
        await lkapi.aclose()
        await ear.aclose()


@asynccontextmanager
async def phone_stack(
    root: Path,
    tenants: Sequence[str] = ("crumb-and-co", "hudson-dental"),
    *,
    outbound_address: str | None = None,
    transfer_host: str | None = None,
    add_tenants: Callable[[Path], None] | None = None,
) -> AsyncIterator[tuple[LocalStack, Settings]]:
    """The whole stack with phone calls on (Redis, livekit-sip), serving copies of the
    shipped ``tenants`` and flows under ``root`` (and what ``add_tenants`` writes into
    the tenants folder), its SIP service provisioned from them (``frontdesk sip sync``;
    outbound calls go to ``outbound_address``, transfers to ``transfer_host``)."""
    tenants_dir, flows, data = root / "tenants", root / "flows", root / "data"
    for tenant in tenants:
        shutil.copytree(
            ROOT / "tenants" / tenant, tenants_dir / tenant, ignore=shutil.ignore_patterns(".index")
        )
    if add_tenants is not None:
        add_tenants(tenants_dir)
    shutil.copytree(ROOT / "flows", flows)
    env = {
        "FRONTDESK_TENANTS_DIR": str(tenants_dir),
        "FRONTDESK_FLOWS_DIR": str(flows),
        "FRONTDESK_DATA_DIR": str(data),
    }
    if outbound_address is not None:
        env["FRONTDESK_SIP_OUTBOUND_ADDRESS"] = outbound_address
    if transfer_host is not None:
        env["FRONTDESK_SIP_TRANSFER_HOST"] = transfer_host
    settings = load_settings(check_keys=False, **env)
    stack = LocalStack(
        settings, ports=StackPorts.ephemeral(), log_dir=root / "logs", extra_env=env, sip=True
    )
    async with stack:
        settings = settings.model_copy(update={"livekit_url": stack.url})
        lkapi = livekit_api(settings)
        try:
            await sync(lkapi, plan_for(settings, load_all_tenants(settings)))
        finally:
            await lkapi.aclose()
        yield stack, settings


def sip_uri(stack: LocalStack, number: str) -> str:
    return f"sip:{number}@{stack.sip_uri_host}"
