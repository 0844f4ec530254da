"""A phone caller's keypad (DTMF) as a turn of the flow.

livekit-sip turns the caller's key presses (RFC 2833 events, or SIP INFO) into
``sip_dtmf_received`` events of the room. The keypad collects a SIP caller's digits into
one answer: ``#`` ends it, ``*`` starts it again, and a pause of :data:`PAUSE_S` after
the last digit ends it too. The answer goes to the flow as a caller turn, the same as
if the digits had been said, but only while an ``ask`` of type ``phone`` or ``number``
waits: other questions want words, and a stray key press must not answer them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from livekit import rtc
from livekit.agents import llm

from ..flow.machine import FlowMachine
from ..flow.model import AskNode, AskType
from ..flow.runtime import FlowAgent

logger = logging.getLogger("frontdesk.sip")

PAUSE_S = 2.5  # after the last digit, the answer is complete
KEYPAD_TYPES = frozenset({AskType.PHONE, AskType.NUMBER})


def takes_keypad(machine: FlowMachine) -> bool:
    """Whether the flow now waits for an answer keypad digits can give."""
    node = machine.flow.nodes.get(machine.state.current)
    return isinstance(node, AskNode) and node.type in KEYPAD_TYPES


@dataclass
class Keypad:
    """Digits of the SIP participant ``caller`` (its identity) become ``submit(text)``."""

    caller: str
    submit: Callable[[str], None]
    accepts: Callable[[], bool] = lambda: True
    pause_s: float = PAUSE_S
    _digits: list[str] = field(default_factory=list)
    _timer: asyncio.TimerHandle | None = None

    def attach(self, room: rtc.Room) -> None:
        room.on("sip_dtmf_received", self.on_dtmf)

    def on_dtmf(self, event: rtc.SipDTMF) -> None:
        if event.participant is None or event.participant.identity != self.caller:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        digit = event.digit
        if digit == "#":
            self._finish()
        elif digit == "*":
            self._digits.clear()
        elif digit.isdigit():
            self._digits.append(digit)
            self._timer = asyncio.get_running_loop().call_later(self.pause_s, self._finish)

    def _finish(self) -> None:
        self._timer = None
        digits, self._digits = "".join(self._digits), []
        if not digits:
            return
        if not self.accepts():
            logger.info("keypad digits ignored: the flow does not ask for a number now")
            return
        logger.info("keypad answer", extra={"digits": digits})
        self.submit(digits)


def attach_keypad(
    room: rtc.Room, agent: FlowAgent, record: Callable[[llm.ChatMessage], None]
) -> Keypad | None:
    """Let the room's SIP caller answer number questions with the keypad: each answer is
    recorded as a caller turn (``record``), then handed to the flow."""
    callers = [
        p
        for p in room.remote_participants.values()
        if p.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
    ]
    if not callers:
        return None

    def submit(digits: str) -> None:
        record(llm.ChatMessage(role="user", content=[digits]))
        agent.user_said(digits)

    keypad = Keypad(callers[0].identity, submit, accepts=lambda: takes_keypad(agent.machine))
    keypad.attach(room)
    return keypad
