"""A SIP phone for tests: PJSUA2 (the ``pjsua2-python`` wheel), a SIP user agent that is
no part of Frontdesk, on loopback.

Why PJSUA2: it is a complete, widely deployed SIP stack (the one behind many softphones)
with RTP, codec negotiation, RFC 2833 DTMF, and an audio port whose frames Python reads
and writes in real time, so the test's ear and mouth work as on a real phone line, and
the same phone can also answer or reject calls (outbound tests). The wheel installs from
the package registry with no build step.

PJSUA2 wants all its calls from threads it knows: the phone owns one thread, which runs
PJSUA2's event loop and the commands the asyncio side submits. Audio frames come from
PJSUA2's media clock thread; they are handed to the event loop untouched.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pjsua2 as pj

RATE = 16000
FRAME_SAMPLES = RATE // 50  # 20 ms
FRAME_BYTES = FRAME_SAMPLES * 2
SILENCE = bytes(FRAME_BYTES)
MAX_ACCOUNTS = 8  # PJSUA's PJSUA_MAX_ACC: pjsua_acc_add aborts the process past it
T = TypeVar("T")
OnAudio = Callable[[bytes, float], None]


@dataclass
class CallOutcome:
    """One call's SIP story: when the INVITE left, when it was answered, how it ended."""

    invite_at: float = 0.0
    confirmed_at: float | None = None
    ended_at: float | None = None
    status: int | None = None  # the last SIP status: 200 answered, 486 busy, 603 declined
    reason: str = ""
    dtmf_received: str = ""
    number: str = ""  # an incoming call: the number it was for
    remote_uri: str = ""  # an incoming call: who called (From)
    # a transfer (REFER) the call received: where to, when, and the call it made there
    referred_to: str = ""
    referred_at: float | None = None
    transfer: CallOutcome | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    referred: asyncio.Event = field(default_factory=asyncio.Event)


class _Port(pj.AudioMediaPort):  # type: ignore[misc]
    """The phone's audio: frames to send are taken from ``mouth``; received frames go to
    ``on_audio`` (from PJSUA2's media thread)."""

    def __init__(self, mouth: queue.SimpleQueue[bytes], on_audio: OnAudio) -> None:
        super().__init__()
        self._mouth, self._on_audio = mouth, on_audio

    def onFrameRequested(self, frame: Any) -> None:
        try:
            data = self._mouth.get_nowait()
        except queue.Empty:
            data = SILENCE
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(data)
        frame.size = len(data)

    def onFrameReceived(self, frame: Any) -> None:
        if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
            self._on_audio(bytes(frame.buf), time.time())


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, phone: SipPhone, account: _Account, call_id: int, outcome: CallOutcome):
        super().__init__(account, call_id)
        self._phone, self._account, self.outcome = phone, account, outcome
        self.account_number: str = account.number

    def onCallTransferRequest(self, prm: Any) -> None:
        """A REFER: accept it (PJSUA2 answers 202 and calls the target, reporting how
        that call goes back to the referrer), making the new call one of ours."""
        leg = CallOutcome(invite_at=time.time())
        self.outcome.referred_to, self.outcome.referred_at = str(prm.dstUri), leg.invite_at
        self.outcome.transfer = leg
        call = _Call(self._phone, self._account, pj.PJSUA_INVALID_ID, leg)
        self._phone.keep(call)
        prm.newCall = call
        self._phone.notify(self.outcome.referred.set)

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        if info.lastStatusCode:
            self.outcome.status = int(info.lastStatusCode)
            self.outcome.reason = str(info.lastReason)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.outcome.confirmed_at = time.time()
            self._phone.notify(self.outcome.answered.set)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.outcome.ended_at = time.time()
            self._phone.call_ended(self)

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        for i, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self._phone.connect_audio(self.getAudioMedia(i))

    def onDtmfDigit(self, prm: Any) -> None:
        self.outcome.dtmf_received += str(prm.digit)


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, phone: SipPhone, number: str) -> None:
        super().__init__()
        self._phone, self.number = phone, number

    def onIncomingCall(self, prm: Any) -> None:
        self._phone.incoming(self, prm.callId)


class SipPhone:
    """One SIP user agent on 127.0.0.1 (one per process: PJSUA2 is a singleton).

    ``dial`` places a call from a number; while a call is up, :meth:`send` queues audio
    to send and ``on_audio`` gets what arrives (16 kHz mono int16, 20 ms frames).
    Incoming calls are answered with ``answer_status`` (200 answers; 486 is busy), or
    the status given for their number (``listen_as``). A transfer (REFER) it receives is
    accepted: it calls the target, as a desk phone does.
    """

    def __init__(self, on_audio: OnAudio | None = None) -> None:
        self.on_audio: OnAudio = on_audio or (lambda _data, _at: None)
        self.answer_status = 200
        self.answer_statuses: dict[str, int] = {}  # per number, over answer_status
        self.port_number = 0
        self.incoming_calls: list[CallOutcome] = []
        self._mouth: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._endpoint: pj.Endpoint | None = None
        self._port: _Port | None = None
        self._accounts: dict[str, _Account] = {}
        self._calls: list[_Call] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="sip-phone")
        self._thread.start()
        await asyncio.wrap_future(started)

    async def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        await asyncio.to_thread(self._thread.join, 30)
        self._thread = None

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        try:
            self._init()
        except Exception as e:
            started.set_exception(e)
            return
        started.set_result(None)
        assert self._endpoint is not None
        while not self._stop.is_set():
            while True:
                try:
                    self._commands.get_nowait()()
                except queue.Empty:
                    break
            self._endpoint.libHandleEvents(10)
        with contextlib.suppress(Exception):
            self._endpoint.hangupAllCalls()
            for _ in range(20):
                self._endpoint.libHandleEvents(10)
        self._calls.clear()
        self._accounts.clear()
        self._port = None
        self._endpoint.libDestroy()
        self._endpoint = None

    def _init(self) -> None:
        ep = pj.Endpoint()
        ep.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.userAgent = "frontdesk-test-phone (PJSUA2)"
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.medConfig.clockRate = RATE
        config.medConfig.sndClockRate = RATE
        config.medConfig.noVad = True
        config.medConfig.ecTailLen = 0
        ep.libInit(config)
        transport = pj.TransportConfig()
        transport.boundAddress = "127.0.0.1"
        transport.port = 0
        transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.port_number = int(ep.transportGetInfo(transport_id).localName.split(":")[-1])
        ep.libStart()
        ep.audDevManager().setNullDev()
        fmt = pj.MediaFormatAudio()
        fmt.type = pj.PJMEDIA_TYPE_AUDIO
        fmt.clockRate = RATE
        fmt.channelCount = 1
        fmt.bitsPerSample = 16
        fmt.frameTimeUsec = 20000
        # through a lambda: on_audio is replaced while the phone runs
        port = _Port(self._mouth, lambda data, at: self.on_audio(data, at))  # noqa: PLW0108
        port.createPort("frontdesk-test-phone", fmt)
        self._endpoint, self._port = ep, port

    # -- running on the phone's thread ---------------------------------------------------

    async def _submit(self, work: Callable[[], T]) -> T:
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(work())
            except Exception as e:
                done.set_exception(e)

        self._commands.put(run)
        return await asyncio.wrap_future(done)

    def notify(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the asyncio loop (from the phone's thread)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(callback)

    def _account(self, number: str) -> _Account:
        """The account of ``number`` (its SIP identity), made when first needed; past
        MAX_ACCOUNTS the least recently used idle one is removed first."""
        account = self._accounts.pop(number, None)
        if account is None:
            if len(self._accounts) >= MAX_ACCOUNTS - 1:
                self._retire_idle_account()
            config = pj.AccountConfig()
            config.idUri = f"sip:{number}@127.0.0.1"
            account = _Account(self, number)
            account.create(config)
        self._accounts[number] = account  # the most recently used last
        return account

    def _retire_idle_account(self) -> None:
        # ended calls stay referenced: PJSUA2 objects are freed on this thread, at close
        busy = {c.account_number for c in self._calls if c.isActive()}
        idle = next((n for n in self._accounts if n not in busy), None)
        if idle is None:
            raise RuntimeError(f"all {MAX_ACCOUNTS - 1} SIP accounts of the test phone are busy")
        self._accounts.pop(idle).shutdown()

    def connect_audio(self, media: pj.AudioMedia) -> None:
        assert self._port is not None
        self._port.startTransmit(media)
        media.startTransmit(self._port)

    def keep(self, call: _Call) -> None:
        self._calls.append(call)

    def call_ended(self, call: _Call) -> None:
        self.notify(call.outcome.ended.set)

    def incoming(self, account: _Account, call_id: int) -> None:
        outcome = CallOutcome(invite_at=time.time(), number=account.number)
        call = _Call(self, account, call_id, outcome)
        outcome.remote_uri = str(call.getInfo().remoteUri)
        self._calls.append(call)
        self.notify(lambda: self.incoming_calls.append(outcome))
        answer = pj.CallOpParam()
        answer.statusCode = self.answer_statuses.get(account.number, self.answer_status)
        if answer.statusCode == 200:
            call.answer(answer)
        else:
            call.hangup(answer)

    # -- the asyncio side ----------------------------------------------------------------

    async def listen_as(self, number: str, *, status: int | None = None) -> str:
        """Take incoming calls as ``number`` (answered with ``status`` when given, e.g.
        486 busy); returns this phone's SIP URI for it."""
        if status is not None:
            self.answer_statuses[number] = status
        await self._submit(lambda: self._account(number))
        return f"sip:{number}@127.0.0.1:{self.port_number}"

    async def dial(self, uri: str, *, caller: str) -> CallOutcome:
        """Call ``uri`` from the number ``caller``; returns at once (see the outcome's
        ``answered`` and ``ended`` events)."""
        outcome = CallOutcome()

        def place() -> None:
            call = _Call(self, self._account(caller), pj.PJSUA_INVALID_ID, outcome)
            self._calls.append(call)
            outcome.invite_at = time.time()
            call.makeCall(uri, pj.CallOpParam(True))

        self.clear_mouth()
        await self._submit(place)
        return outcome

    async def dtmf(self, digits: str) -> None:
        """Send keypad digits (RFC 2833) on the latest call."""

        def press() -> None:
            self._calls[-1].dialDtmf(digits)

        await self._submit(press)

    async def hang_up(self) -> None:
        def hang() -> None:
            for call in self._calls:
                if call.isActive():
                    call.hangup(pj.CallOpParam(True))

        await self._submit(hang)

    def send(self, pcm: bytes) -> float:
        """Queue 16 kHz int16 mono audio; returns the seconds of audio now queued."""
        for i in range(0, len(pcm), FRAME_BYTES):
            chunk = pcm[i : i + FRAME_BYTES]
            self._mouth.put(chunk + bytes(FRAME_BYTES - len(chunk)))
        return self.queued_s

    @property
    def queued_s(self) -> float:
        return self._mouth.qsize() * 0.02

    def clear_mouth(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self._mouth.get_nowait()
