"""Which calls the worker waits on: only a room the agent dialled out from waits for the
phone to be answered (an inbound call rings until the agent subscribes to it)."""

from __future__ import annotations

import json

import pytest

from agent.sip.answered import is_outbound

pytestmark = pytest.mark.unit


def test_only_an_outbound_room_waits_for_the_answer() -> None:
    outbound = {"tenant": "crumb-and-co", "source": "sip", "direction": "outbound"}
    assert is_outbound(json.dumps(outbound))
    assert not is_outbound(json.dumps({"tenant": "crumb-and-co", "source": "sip"}))
    assert not is_outbound("")
    assert not is_outbound(None)
    assert not is_outbound("not json")
    assert not is_outbound(json.dumps(["direction", "outbound"]))
