"""Typed asks (number, datetime, email, phone, name, text) and expression conditions,
driven through the flow machine in text mode."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.authoring.render import to_mermaid
from agent.errors import FlowLoadError
from agent.flow import (
    Action,
    AskNode,
    ExpressionCondition,
    Flow,
    FlowMachine,
    ListSink,
    Reprompt,
    Say,
    SlotSet,
    TemplateContext,
    TenantInfo,
    TransitionTaken,
    hints_for,
    load_flow,
    parse_flow,
)

pytestmark = pytest.mark.unit

BOOKING = """\
version: 1
id: booking
start: name
default_country_code: "44"
nodes:
  name:
    kind: ask
    prompt: May I have your name?
    slot: name
    type: name
    transitions:
      - {when: always, to: party}
      - {when: retries_exhausted, to: sorry}
  party:
    kind: ask
    prompt: How many people, {{ slots.name }}?
    reprompts: ["Sorry, how many people?"]
    slot: party_size
    type: number
    min: 1
    max: 40
    max_retries: 1
    transitions:
      - {when: {if: "slots.party_size > 8"}, to: big_party}
      - {when: always, to: when}
      - {when: retries_exhausted, to: sorry}
  when:
    kind: ask
    prompt: When would you like to come?
    slot: when
    type: datetime
    earliest_hour: 11
    transitions:
      - {when: always, to: email}
      - {when: retries_exhausted, to: sorry}
  email:
    kind: ask
    prompt: What is your email?
    slot: email
    type: email
    transitions:
      - {when: always, to: phone}
      - {when: retries_exhausted, to: sorry}
  phone:
    kind: ask
    prompt: And your phone number?
    slot: phone
    type: phone
    transitions:
      - {when: always, to: note}
      - {when: retries_exhausted, to: sorry}
  note:
    kind: ask
    prompt: Anything we should know?
    slot: note
    type: text
    transitions:
      - {when: always, to: confirm}
      - {when: retries_exhausted, to: sorry}
  confirm:
    kind: end
    text: >-
      Thanks {{ slots.name }}: {{ slots.party_size }} people {{ slots.when }}.
      We will email {{ slots.email }} and call {{ slots.phone }}. Noted: {{ slots.note }}.
  big_party:
    kind: end
    text: For {{ slots.party_size }} people, our events team will call you back.
  sorry:
    kind: end
    text: Sorry, please call again later.
"""

FLOW = parse_flow(BOOKING)
LONDON = TemplateContext(TenantInfo(name="Crumb & Co", timezone="Europe/London"))
TUESDAY_9AM = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves forward by hand."""

    def __init__(self, now: datetime = TUESDAY_9AM) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run(flow: Flow, *turns: str, sink: ListSink | None = None) -> FlowMachine:
    machine = FlowMachine(flow, LONDON, sink=sink, clock=FakeClock())
    machine.start()
    for text in turns:
        machine.on_user_text(text)
    return machine


def said(actions: Sequence[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_every_typed_ask_fills_its_slot_and_templates_say_it_back() -> None:
    machine = FlowMachine(FLOW, LONDON, clock=FakeClock())
    machine.start()
    assert said(machine.on_user_text("uh my name is jane doe")) == ["How many people, Jane Doe?"]
    machine.on_user_text("six of us")
    machine.on_user_text("friday at seven")  # earliest_hour 11: seven is 7 pm
    machine.on_user_text("it is jane dot doe at example dot com")
    machine.on_user_text("oh seven nine one one, one two three four five six")
    last = machine.on_user_text("  no nuts please ")
    assert machine.state.ended
    assert machine.state.slots == {
        "name": "Jane Doe",
        "party_size": "6",
        "when": "2025-03-07T19:00:00+00:00",
        "email": "jane.doe@example.com",
        "phone": "+447911123456",
        "note": "no nuts please",
    }
    assert said(last) == [
        "Thanks Jane Doe: 6 people Friday the 7th at 7 pm. We will email jane dot doe at "
        "example dot com and call 0 7 9 1 1, 1 2 3, 4 5 6. Noted: no nuts please."
    ]


def test_a_slot_set_event_carries_the_value_and_the_words() -> None:
    sink = ListSink()
    run(FLOW, "jane", "twelve", sink=sink)
    slot_sets = [e for e in sink.events if isinstance(e, SlotSet)]
    assert [(e.slot, e.value, e.raw_text) for e in slot_sets] == [
        ("name", "Jane", "jane"),
        ("party_size", "12", "twelve"),
    ]


def test_an_expression_routes_a_big_party_and_the_rest_fall_through_to_always() -> None:
    assert run(FLOW, "jane", "a table for twelve please").state.current == "big_party"
    assert run(FLOW, "jane", "eight").state.current == "when"


def test_an_unreadable_answer_reprompts_then_retries_exhausted_leaves() -> None:
    sink = ListSink()
    machine = run(FLOW, "jane", sink=sink)
    assert said(machine.on_user_text("banana")) == ["Sorry, how many people?"]
    assert said(machine.on_user_text("fifty")) == ["Sorry, please call again later."]  # max 40
    assert machine.state.current == "sorry"
    assert [e.reason for e in sink.events if isinstance(e, Reprompt)] == ["no_match"]
    last = [e for e in sink.events if isinstance(e, TransitionTaken)][-1]
    assert (last.from_node, last.to_node, last.reason) == ("party", "sorry", "retries_exhausted")


def test_a_datetime_in_the_past_is_not_an_answer() -> None:
    machine = run(FLOW, "jane", "two")
    assert said(machine.on_user_text("today at eight in the morning")) == [
        "When would you like to come?"
    ]


def test_typed_asks_hint_the_recognizer_with_their_words() -> None:
    party = FLOW.nodes["party"]
    assert isinstance(party, AskNode)
    hints = hints_for(party, FLOW.globals)
    assert "a dozen" in hints and "say that again" in hints
    assert {"i don't know", "hold on a second", "one moment"} <= set(hints)  # non-answers


def test_only_typed_asks_hint_the_non_answers() -> None:
    from agent.flow.match import NON_ANSWERS

    flow = parse_flow(
        """\
version: 1
id: asks
start: ok
nodes:
  ok:
    kind: ask
    prompt: Okay?
    slot: ok
    type: yes_no
    transitions: [{when: always, to: pick}, {when: retries_exhausted, to: bye}]
  pick:
    kind: ask
    prompt: Which?
    slot: pick
    type: choice
    choices: {cake: [a cake], bread: [some bread]}
    transitions: [{when: always, to: note}, {when: retries_exhausted, to: bye}]
  note:
    kind: ask
    prompt: Anything?
    slot: note
    type: text
    transitions: [{when: always, to: bye}, {when: retries_exhausted, to: bye}]
  bye: {kind: end, text: Bye.}
"""
    )
    for node_id in ("ok", "pick", "note"):
        node = flow.nodes[node_id]
        assert isinstance(node, AskNode)
        assert not set(NON_ANSWERS) & set(hints_for(node, flow.globals)), node_id


def test_a_condition_can_read_how_long_the_call_has_lasted() -> None:
    text = BOOKING.replace(
        '      - {when: {if: "slots.party_size > 8"}, to: big_party}\n',
        "      - {when: {call_seconds_over: 300}, to: sorry}\n"
        '      - {when: {if: "call.seconds > 60 and slots.party_size > 4"}, to: big_party}\n',
    )
    flow = parse_flow(text)
    outcomes = []
    for wait, answer in ((30, "six"), (90, "six"), (90, "two"), (301, "two")):
        clock = FakeClock()
        machine = FlowMachine(flow, LONDON, clock=clock)
        machine.start()
        machine.on_user_text("jane")
        clock.now += timedelta(seconds=wait)
        machine.on_user_text(answer)
        outcomes.append(machine.state.current)
    assert outcomes == ["when", "big_party", "when", "sorry"]


def test_expression_conditions_are_parsed_once_when_the_flow_loads() -> None:
    party = FLOW.nodes["party"]
    assert isinstance(party, AskNode)
    condition = party.transitions[0].when
    assert isinstance(condition, ExpressionCondition)
    assert condition.expression.variables() == frozenset({"slots.party_size"})
    assert "if slots.party_size > 8" in to_mermaid(FLOW)


# --- load-time errors -------------------------------------------------------------------

BIG = '{when: {if: "slots.party_size > 8"}, to: big_party}'


def load_error(tmp_path: Path, old: str, new: str) -> tuple[FlowLoadError, str]:
    assert old in BOOKING
    text = BOOKING.replace(old, new, 1)
    path = tmp_path / "booking.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowLoadError) as caught:
        load_flow(path)
    assert caught.value.path == str(path)
    return caught.value, text


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_bad_expression_names_file_line_and_column(tmp_path: Path) -> None:
    bad = '{when: {if: "slots.party_size >> 8"}, to: big_party}'
    error, text = load_error(tmp_path, BIG, bad)
    assert error.line == line_of(text, "party_size >>")
    first = str(error).splitlines()[0]
    assert first.startswith(f"{tmp_path / 'booking.yaml'}:{error.line}: ")
    assert "nodes.party.transitions.0.when.if: unexpected token '>' at column 19" in first


# (name, replace this, with this, the line to expect contains, message fragment)
BROKEN = [
    ("undeclared slot", "slots.party_size > 8", "slots.party > 8", "slots.party > 8",
     "reads 'slots.party': no ask node fills that slot"),
    ("unknown call field", "slots.party_size > 8", "call.minutes > 8", "call.minutes",
     "reads 'call.minutes': no such field (known: call.seconds)"),
    ("unknown root", "slots.party_size > 8", "party_size > 8", "party_size > 8",
     "unknown variable 'party_size'"),
    ("no always", "      - {when: always, to: party}\n", "", "    transitions:",
     "needs an 'always' transition"),
    ("slot_equals on a number", BIG, "{when: {slot_equals: '9'}, to: big_party}",
     "slot_equals", "use always or {if: EXPRESSION}"),
    ("min on a name", "    type: name\n", "    type: name\n    min: 2\n", "  name:",
     "'min' only applies to type 'number'"),
    ("min above max", "    min: 1\n", "    min: 50\n", "  party:", "'min' (50) is above 'max'"),
    ("bad country code", 'default_country_code: "44"', 'default_country_code: "044"',
     "default_country_code", "should match pattern"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_typed_flow_names_file_and_line(
    tmp_path: Path, old: str, new: str, where: str, fragment: str
) -> None:
    error, text = load_error(tmp_path, old, new)
    assert error.line == line_of(text, where), str(error)
    assert fragment in str(error).splitlines()[0]
