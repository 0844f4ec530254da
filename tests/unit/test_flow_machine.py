"""The flow machine in text mode: drive turns, then assert actions, state and events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from agent.config import ROOT
from agent.errors import FlowRuntimeError
from agent.flow import (
    Action,
    Ended,
    Flow,
    FlowMachine,
    GlobalIntent,
    GlobalIntentName,
    Hangup,
    Listen,
    ListSink,
    NodeEntered,
    Reprompt,
    Say,
    SlotSet,
    TemplateContext,
    TenantInfo,
    TransitionTaken,
    load_flow,
    parse_flow,
)

pytestmark = pytest.mark.unit

DEMO = load_flow(ROOT / "flows" / "demo_bakery.yaml")
CRUMB = TemplateContext(TenantInfo(name="Crumb & Co", timezone="UTC"))
NINE_AM = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

GREETING = "Good morning, thanks for calling Crumb & Co."
TOPIC = (
    "You can ask about our opening hours, today's specials, or place an order. What would you like?"
)
TOPIC_REPROMPT = "Sorry, I did not catch that. Is it about our hours, our specials, or an order?"
HOURS = "We're open Tuesday to Sunday, from seven in the morning until six in the evening."
ANYTHING_ELSE = "Is there anything else I can help you with?"
THANKS = "Thank you for calling Crumb & Co. Goodbye!"
NO_INPUT_BYE = "Sorry, I can't hear you well. Please call us again later. Goodbye!"


def machine(
    flow: Flow = DEMO, *, sink: ListSink | None = None, now: datetime = NINE_AM
) -> FlowMachine:
    return FlowMachine(flow, CRUMB, sink=sink, clock=lambda: now)


def said(actions: Sequence[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_start_greets_and_asks_the_first_question() -> None:
    m = machine()
    actions = m.start()
    assert said(actions) == [GREETING, TOPIC]
    listen = actions[-1]
    assert isinstance(listen, Listen)
    assert (listen.node, listen.timeout_s) == ("topic", 8.0)
    assert {"opening hours", "order a cake", "what's good today"} <= set(listen.hints)
    assert m.state.current == "topic"
    assert m.state.path == ("greeting", "topic")
    assert m.state.last_prompt == TOPIC


def test_the_happy_path_through_the_demo() -> None:
    m = machine()
    m.start()
    first = m.on_user_text("uh the opening hours please")
    assert said(first) == [HOURS, ANYTHING_ELSE]
    assert isinstance(first[-1], Listen) and first[-1].node == "anything_else"
    again = m.on_user_text("yeah that's it")
    assert said(again) == [TOPIC]
    specials = m.on_user_text("what's good today?")
    assert said(specials) == [
        "Today we have lemon drizzle cake and fresh sourdough.",
        ANYTHING_ELSE,
    ]
    last = m.on_user_text("no thanks")
    assert said(last) == [THANKS]
    assert last[-1] == Hangup("end")
    assert m.state.path == (
        "greeting", "topic", "hours", "anything_else",
        "topic", "specials", "anything_else", "end",
    )  # fmt: skip
    assert dict(m.state.slots) == {"topic": "specials", "anything_else": "no"}
    assert m.state.ended


def test_the_events_of_a_turn_are_ordered_and_timestamped() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    sink.events.clear()
    m.on_user_text("place an order")
    assert sink.events == [
        SlotSet(slot="topic", value="order", raw_text="place an order", spoken="order", at=NINE_AM),
        TransitionTaken(from_node="topic", to_node="order", reason="matched", at=NINE_AM),
        NodeEntered(node="order", kind="say", at=NINE_AM),
        TransitionTaken(from_node="order", to_node="anything_else", reason="next", at=NINE_AM),
        NodeEntered(node="anything_else", kind="ask", at=NINE_AM),
    ]


def test_reprompts_vary_then_retries_exhausted_takes_its_transition() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    first = m.on_user_text("do you sell bicycles")
    second = m.on_user_text("bicycles")
    assert said(first) == [TOPIC_REPROMPT]
    assert said(second) == ["Please say hours, specials, or order."]
    assert isinstance(second[-1], Listen) and m.state.retries == 2
    last = m.on_user_text("a bicycle")
    assert said(last) == [NO_INPUT_BYE]
    assert last[-1] == Hangup("goodbye_no_input")
    reprompts = [e for e in sink.events if isinstance(e, Reprompt)]
    assert [(r.attempt, r.reason) for r in reprompts] == [(1, "no_match"), (2, "no_match")]
    exits = [e for e in sink.events if isinstance(e, TransitionTaken) and e.from_node == "topic"]
    assert exits[-1].reason == "retries_exhausted"
    assert exits[-1].to_node == "goodbye_no_input"


def test_reprompts_cycle_and_fall_back_to_the_prompt() -> None:
    m = machine()
    m.start()
    m.on_user_text("hours")
    assert said(m.on_user_text("purple")) == ["Sorry, was that a yes or a no?"]
    assert said(m.on_user_text("purple")) == ["Sorry, was that a yes or a no?"]  # cycles
    bare = parse_flow(
        "version: 1\nid: bare\nstart: q\nnodes:\n"
        "  q: {kind: ask, prompt: 'Yes or no?', slot: a, type: yes_no, transitions: "
        "[{when: always, to: e}, {when: retries_exhausted, to: e}]}\n"
        "  e: {kind: end, text: Bye.}\n"
    )
    m = machine(bare)
    m.start()
    assert said(m.on_user_text("purple")) == ["Yes or no?"]  # no reprompts: the prompt


def test_no_input_twice_says_goodbye() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    first = m.on_no_input()
    assert said(first) == [TOPIC_REPROMPT]
    assert isinstance(first[-1], Listen)
    second = m.on_no_input()
    assert said(second) == [NO_INPUT_BYE]
    assert second[-1] == Hangup("goodbye_no_input")
    assert [e.reason for e in sink.events if isinstance(e, Reprompt)] == ["no_input"]
    taken = [e for e in sink.events if isinstance(e, TransitionTaken)][-1]
    assert (taken.to_node, taken.reason) == ("goodbye_no_input", "no_input")


def test_blank_text_counts_as_no_input() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    m.on_user_text("   ")
    assert [e.reason for e in sink.events if isinstance(e, Reprompt)] == ["no_input"]


def test_silence_and_no_match_share_the_retry_budget() -> None:
    m = machine()
    m.start()
    m.on_user_text("bicycles")
    m.on_no_input()
    assert (m.state.retries, m.state.no_inputs) == (2, 1)
    last = m.on_user_text("bicycles again")
    assert last[-1] == Hangup("goodbye_no_input")


def test_global_goodbye_ends_the_call_from_any_ask() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    actions = m.on_user_text("okay bye")
    assert said(actions) == [THANKS]
    assert actions[-1] == Hangup("end")
    assert GlobalIntent(name=GlobalIntentName.GOODBYE, at=NINE_AM) in sink.events
    assert sink.events[-1] == Ended(node="end", at=NINE_AM)


def test_global_repeat_says_the_last_turn_again_and_listens() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    start = m.start()
    before = m.state
    again = m.on_user_text("sorry, can you say that again?")
    assert again == start
    assert (m.state.current, m.state.retries, m.state.path) == ("topic", 0, before.path)
    assert sink.events[-1] == GlobalIntent(name=GlobalIntentName.REPEAT, at=NINE_AM)
    m.on_user_text("bicycles")
    assert said(m.on_user_text("pardon?")) == [TOPIC_REPROMPT]


def test_input_after_the_end_is_ignored() -> None:
    sink = ListSink()
    m = machine(sink=sink)
    m.start()
    m.on_user_text("goodbye")
    count, state = len(sink.events), m.state
    assert m.on_user_text("hours") == []
    assert m.on_no_input() == []
    assert len(sink.events) == count and m.state == state


SCRIPT = ["hmm", "opening hours", "yes", "order a cake", "pardon", "nah"]


def run(script: Sequence[str]) -> tuple[list[list[Action]], ListSink]:
    sink = ListSink()
    m = machine(sink=sink)
    actions = [m.start()] + [m.on_user_text(text) for text in script]
    return actions, sink


def test_the_same_input_gives_the_same_path_and_events() -> None:
    first_actions, first = run(SCRIPT)
    second_actions, second = run(SCRIPT)
    assert first_actions == second_actions
    assert first.events == second.events
    entered = [e.node for e in first.events if isinstance(e, NodeEntered)]
    assert entered == [
        "greeting", "topic", "hours", "anything_else", "topic", "order", "anything_else", "end",
    ]  # fmt: skip


def test_the_greeting_uses_the_tenant_timezone() -> None:
    new_york = TemplateContext(TenantInfo(name="Crumb & Co", timezone="America/New_York"))
    at = datetime(2025, 1, 15, 14, 0, tzinfo=UTC)  # 9:00 in New York
    m = FlowMachine(DEMO, new_york, clock=lambda: at)
    assert said(m.start())[0].startswith("Good morning")
    evening = FlowMachine(DEMO, CRUMB, clock=lambda: datetime(2025, 1, 15, 19, tzinfo=UTC))
    assert said(evening.start())[0].startswith("Good evening")


SLOTS_FLOW = """\
version: 1
id: slots
start: pick
nodes:
  pick:
    kind: ask
    prompt: Tea or coffee?
    slot: drink
    type: choice
    choices: {tea: [tea], coffee: [coffee]}
    transitions:
      - {when: always, to: milk}
      - {when: retries_exhausted, to: bye}
  milk:
    kind: ask
    prompt: Milk?
    slot: milk
    type: yes_no
    transitions:
      - {when: {slot: drink, equals: tea}, to: tea_note}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
  tea_note:
    kind: say
    text: "{{ slots.drink | capitalize }} with milk: {{ slots.milk }}."
    next: bye
  bye:
    kind: end
    text: "Enjoy your {{ slots.extra }}."
  never:
    kind: ask
    prompt: Unreachable.
    slot: extra
    type: yes_no
    transitions:
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
"""


def test_a_condition_can_read_another_slot_and_templates_read_slots() -> None:
    flow = parse_flow(SLOTS_FLOW.replace("{{ slots.extra }}", "drink"))
    tea = machine(flow)
    tea.start()
    tea.on_user_text("tea")
    assert said(tea.on_user_text("yes please")) == ["Tea with milk: yes.", "Enjoy your drink."]
    assert tea.state.path == ("pick", "milk", "tea_note", "bye")
    coffee = machine(flow)
    coffee.start()
    coffee.on_user_text("coffee")
    assert said(coffee.on_user_text("yes")) == ["Enjoy your drink."]
    assert coffee.state.path == ("pick", "milk", "bye")


def test_a_failing_turn_changes_nothing() -> None:
    sink = ListSink()
    m = machine(parse_flow(SLOTS_FLOW), sink=sink)  # bye renders a slot never filled
    m.start()
    m.on_user_text("coffee")
    state, count = m.state, len(sink.events)
    with pytest.raises(FlowRuntimeError, match=r"flow 'slots', node 'bye': template failed"):
        m.on_user_text("no")
    assert m.state == state
    assert len(sink.events) == count
    assert m.state.current == "milk"


def test_misuse_is_a_clear_runtime_error() -> None:
    m = machine()
    with pytest.raises(FlowRuntimeError, match="call start"):
        m.on_user_text("hours")
    m.start()
    with pytest.raises(FlowRuntimeError, match="already called"):
        m.start()
    naive = FlowMachine(DEMO, CRUMB, clock=lambda: datetime(2025, 1, 1, 9))
    with pytest.raises(FlowRuntimeError, match="timezone-aware"):
        naive.start()
