"""A phone caller's keypad: digits become one answer (ended by #, or a pause), * starts
again, other participants' keys are ignored, and only number and phone questions take
keypad answers; the receptionist flow reads a keyed-in number as the caller's phone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import cast

import pytest
from livekit import rtc

from agent.authoring.scenario import knowledge_for_flow
from agent.config import ROOT
from agent.flow.load import load_flow_by_id
from agent.flow.machine import FlowMachine
from agent.sip.keypad import Keypad, takes_keypad
from agent.tenants.context import template_context
from agent.tenants.load import load_tenant

pytestmark = pytest.mark.unit


class _Caller:
    def __init__(self, identity: str) -> None:
        self.identity = identity


def _press(keypad: Keypad, keys: str, identity: str = "sip-caller") -> None:
    for key in keys:
        participant = cast(rtc.RemoteParticipant, _Caller(identity))
        keypad.on_dtmf(rtc.SipDTMF(code=0, digit=key, participant=participant))


async def test_hash_ends_the_answer_and_star_starts_again() -> None:
    got: list[str] = []
    keypad = Keypad("sip-caller", got.append)
    _press(keypad, "99*0209#")
    assert got == ["0209"]
    _press(keypad, "#")  # nothing keyed: nothing to answer
    assert got == ["0209"]


async def test_a_pause_ends_the_answer() -> None:
    got: list[str] = []
    keypad = Keypad("sip-caller", got.append, pause_s=0.05)
    _press(keypad, "42")
    assert got == []
    await asyncio.sleep(0.2)
    assert got == ["42"]


async def test_other_participants_keys_and_unwanted_answers_are_ignored() -> None:
    got: list[str] = []
    keypad = Keypad("sip-caller", got.append, accepts=lambda: False)
    _press(keypad, "12#")
    _press(keypad, "34#", identity="someone-else")
    assert got == []


def _receptionist() -> FlowMachine:
    tenant = load_tenant(ROOT / "tenants", "crumb-and-co")
    now = datetime(2026, 11, 20, 10, tzinfo=tenant.tz)
    flow = load_flow_by_id(ROOT / "flows", "receptionist")
    return FlowMachine(
        flow,
        template_context(tenant),
        clock=lambda: now,
        **knowledge_for_flow(flow, tenant),
    )


def test_only_phone_and_number_questions_take_the_keypad() -> None:
    machine = _receptionist()
    machine.start()
    assert not takes_keypad(machine)  # how can I help (a choice)
    machine.on_user_text("book a table")
    assert machine.state.current == "party_size" and takes_keypad(machine)  # a number
    machine.on_user_text("4")
    assert machine.state.current == "booking_when" and not takes_keypad(machine)
    machine.on_user_text("saturday at eleven in the morning")
    machine.on_user_text("my name is peter smith")
    assert machine.state.current == "booking_phone" and takes_keypad(machine)
    machine.on_user_text("02094601234")
    assert machine.state.slots["phone"] == "+442094601234"
