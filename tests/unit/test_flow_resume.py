"""A call resumed from its stored records goes on where it was: the receptionist flow
interrupted after the party size, rebuilt from its events and turns as the recorder
stores them, asks the day again after "Sorry about that, where were we:", and books the
same table as a call that never broke."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.authoring.scenario import knowledge_for_flow
from agent.capture.ops import event_payload, jsonable
from agent.config import ROOT
from agent.errors import FlowRuntimeError
from agent.flow.events import CallResumed, FlowEvent, ListSink, NodeEntered, SlotSet
from agent.flow.load import load_flow_by_id
from agent.flow.machine import FlowMachine, Listen, Say
from agent.flow.resume import RESUME_LINE, StoredEvent, StoredTurn, rebuild_state
from agent.tenants import TenantRegistry
from agent.tenants.context import template_context

pytestmark = pytest.mark.unit

FLOW = load_flow_by_id(ROOT / "flows", "receptionist")
TENANT = TenantRegistry(ROOT / "tenants").get("crumb-and-co")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # a Wednesday
BEFORE = ("book a table", "four")
AFTER = ("saturday at eleven in the morning", "my name is peter smith", "020 9460 1234", "yes")


def machine(sink: ListSink) -> FlowMachine:
    context = template_context(TENANT)
    return FlowMachine(
        FLOW, context, sink=sink, clock=lambda: NOW, **knowledge_for_flow(FLOW, TENANT)
    )


def stored(events: list[FlowEvent]) -> list[StoredEvent]:
    """The events as the store gives them back: by class name, with JSON payloads."""
    out = []
    for event in events:
        name, at, payload = event_payload(event)
        back = jsonable(payload)
        assert isinstance(back, dict)
        out.append(StoredEvent(name, back, at))
    return out


def test_a_resumed_call_goes_on_at_its_node_and_books_the_same_table() -> None:
    whole = machine(ListSink())
    whole.start()
    for line in (*BEFORE, *AFTER):
        whole.on_user_text(line)

    first = ListSink()
    crashed = machine(first)
    crashed.start()
    for line in BEFORE:
        crashed.on_user_text(line)
    turns = [StoredTurn("caller" if r == "user" else "agent", t) for r, t in crashed.state.history]
    state = rebuild_state(FLOW, stored(first.events), turns, started_at=NOW)
    assert state.current == crashed.state.current == "booking_when"
    assert state.slots == crashed.state.slots and state.spoken == crashed.state.spoken

    second = ListSink()
    resumed = machine(second)
    actions = resumed.resume(state, last_record_at=NOW)
    said = " ".join(a.text for a in actions if isinstance(a, Say))
    assert said.startswith(f"{RESUME_LINE} ")
    assert FLOW.nodes["booking_when"].prompt.split("?")[0][:20] in said
    assert any(isinstance(a, Listen) and a.node == "booking_when" for a in actions)
    assert [type(e) for e in second.events] == [CallResumed]
    for line in AFTER:
        resumed.on_user_text(line)
    assert resumed.state.slots == whole.state.slots
    assert resumed.state.path[-1] == whole.state.path[-1] == "booking_made"
    assert not any(isinstance(e, NodeEntered) and e.node == "greeting" for e in second.events)
    assert {e.slot for e in second.events if isinstance(e, SlotSet)} == {
        "booking_at",
        "name",
        "phone",
        "booking_ok",
    }


def test_a_call_that_ended_is_not_resumed() -> None:
    sink = ListSink()
    m = machine(sink)
    m.start()
    for line in (*BEFORE, *AFTER):
        m.on_user_text(line)
    with pytest.raises(FlowRuntimeError, match="ended"):
        rebuild_state(FLOW, stored(sink.events), [], started_at=NOW)


def test_no_node_recorded_is_not_resumable() -> None:
    with pytest.raises(FlowRuntimeError, match="no node"):
        rebuild_state(FLOW, [], [], started_at=NOW)
