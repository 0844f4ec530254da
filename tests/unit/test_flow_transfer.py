"""A handoff node with ``transfer_to``: on a phone call the machine asks its driver to
transfer the call once the line is said, waits for the outcome, and either ends (the
caller left for the other phone) or tells the caller and goes on at ``next``. Without a
phone line it is an ordinary handoff."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.authoring.expect import event_name
from agent.config import load_settings
from agent.errors import FlowLoadError, FlowRuntimeError
from agent.flow import FlowMachine, ListSink, Say, TemplateContext, TenantInfo, parse_flow
from agent.flow.actions import Action, Hangup, Transfer, TransferResult
from agent.flow.events import CallTransferred, Ended, HandoffRequested, TransitionTaken
from agent.session import prepare_call

pytestmark = pytest.mark.unit

CTX = TemplateContext(TenantInfo(name="Crumb & Co", timezone="UTC"))
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FLOW_TEXT = """\
version: 1
id: t
start: name
globals: {human: {to: desk}}
nodes:
  name: {kind: ask, prompt: "Your name?", slot: name, type: name,
         transitions: [{when: always, to: bye}, {when: retries_exhausted, to: desk}]}
  desk:
    kind: handoff
    text: Putting you through to the front desk.
    transfer_to: "+442071230000"
    transfer_failed: Sorry, nobody is free right now.
    next: message
  message: {kind: say, text: "We'll call you back.", next: bye}
  bye: {kind: end, text: Goodbye.}
"""
FLOW = parse_flow(FLOW_TEXT)


def run(*, transfers: bool) -> tuple[FlowMachine, ListSink]:
    sink = ListSink()
    machine = FlowMachine(FLOW, CTX, sink=sink, clock=lambda: NOW, transfers=transfers)
    machine.start()
    return machine, sink


def said(actions: Sequence[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_a_phone_call_is_transferred_after_the_handoff_line() -> None:
    machine, sink = run(transfers=True)
    actions = machine.on_user_text("can I talk to a real person")
    assert said(actions) == "Putting you through to the front desk."
    assert [a for a in actions if not isinstance(a, Say)] == [Transfer("+442071230000", "desk")]
    assert machine.state.current == "desk" and machine.state.transferring
    assert len([e for e in sink.events if isinstance(e, HandoffRequested)]) == 1
    # words said while the transfer is under way are not the flow's
    assert machine.on_user_text("hello?") == [] and machine.on_no_input() == []
    ended = machine.on_transfer(TransferResult(ok=True))
    assert ended == [Hangup("desk")] and machine.state.ended
    transferred, last = sink.events[-2:]
    assert transferred == CallTransferred(
        node="desk", to="+442071230000", outcome="ok", sip_status=None, reason="", at=NOW
    )
    assert isinstance(last, Ended)
    assert event_name(transferred) == "call_transferred"


def test_a_failed_transfer_tells_the_caller_and_goes_on_at_next() -> None:
    machine, sink = run(transfers=True)
    machine.on_user_text("a human please")
    actions = machine.on_transfer(TransferResult(ok=False, sip_status=486, reason="Busy Here"))
    assert said(actions) == "Sorry, nobody is free right now. We'll call you back. Goodbye."
    assert any(isinstance(a, Hangup) for a in actions)  # the flow's own end
    (failed,) = [e for e in sink.events if isinstance(e, CallTransferred)]
    assert (failed.outcome, failed.sip_status, failed.reason) == ("failed", 486, "Busy Here")
    hops = [
        (e.from_node, e.to_node, e.reason) for e in sink.events if isinstance(e, TransitionTaken)
    ]
    assert ("desk", "message", "transfer_failed") in hops
    assert not machine.state.transferring


def test_without_a_phone_line_it_is_an_ordinary_handoff() -> None:
    machine, sink = run(transfers=False)
    actions = machine.on_user_text("can I talk to a real person")
    assert said(actions) == "Putting you through to the front desk. We'll call you back. Goodbye."
    assert not any(isinstance(a, Transfer) for a in actions)
    assert not any(isinstance(e, CallTransferred) for e in sink.events)
    with pytest.raises(FlowRuntimeError, match="no transfer is under way"):
        machine.on_transfer(TransferResult(ok=True))


@pytest.mark.parametrize("number", ["02071230000", "+0207", "+44 20 7123 0000", "tel:+4420"])
def test_a_transfer_number_must_be_e164_and_the_error_names_the_field(number: str) -> None:
    text = f"""\
version: 1
id: t
start: desk
nodes:
  desk: {{kind: handoff, text: One moment., transfer_to: "{number}", next: bye}}
  bye: {{kind: end, text: Goodbye.}}
"""
    with pytest.raises(FlowLoadError, match=r"flows/t\.yaml:\d+: nodes\.desk\.transfer_to"):
        parse_flow(text, source="flows/t.yaml")


@pytest.mark.parametrize(
    ("source", "transfers"), [("sip", True), ("web", False), ("meeting", False)]
)
def test_only_a_phone_call_transfers(tmp_path: Path, source: str, transfers: bool) -> None:
    folder = tmp_path / "desk"
    (folder / "flows").mkdir(parents=True)
    (folder / "tenant.yaml").write_text("name: Desk\nflow: desk\n")
    flow_text = FLOW_TEXT.replace("id: t", "id: desk").replace("start: name", "start: desk")
    (folder / "flows" / "desk.yaml").write_text(flow_text)
    settings = load_settings(check_keys=False, FRONTDESK_TENANTS_DIR=str(tmp_path))
    plan = prepare_call(settings, json.dumps({"tenant": "desk", "source": source}))
    actions = plan.machine().start()
    assert any(isinstance(a, Transfer) for a in actions) is transfers
