"""Expected-answer endpointing: whether the caller's words so far are a whole answer to
the listening node, the start of one, or neither (agent/flow/endpoint.py), through the
flow machine on the shipped demo flow and a typed booking flow."""

from __future__ import annotations

import pytest

from agent.config import ROOT, Settings
from agent.flow import FlowMachine, load_flow
from agent.flow.endpoint import NOTHING, CompiledPattern, Completeness, Expectation, words
from agent.flow.model_base import AskType
from agent.flow.slots.patterns import PATTERNS
from agent.session import prepare_call

from .test_flow_typed_asks import FLOW, LONDON, FakeClock

pytestmark = pytest.mark.unit

COMPLETE, PARTIAL, OPEN = Completeness.COMPLETE, Completeness.PARTIAL, Completeness.OPEN


def demo_at_topic() -> FlowMachine:
    machine = FlowMachine(load_flow(ROOT / "flows" / "demo_bakery.yaml"), LONDON)
    machine.start()
    return machine


def booking_at(node: str) -> FlowMachine:
    answers = {
        "party": ["my name is jane doe"],
        "when": ["my name is jane doe", "six of us"],
        "phone": [
            "my name is jane doe",
            "six of us",
            "friday at seven",
            "it is jane dot doe at example dot com",
        ],
    }
    machine = FlowMachine(FLOW, LONDON, clock=FakeClock())
    machine.start()
    for text in answers.get(node, []):
        machine.on_user_text(text)
    assert machine.state.current == node
    return machine


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("opening hours", COMPLETE),
        ("Opening hours, please.", COMPLETE),  # the choice's reader takes it
        ("specials", COMPLETE),
        ("goodbye", COMPLETE),  # a global intent's phrase
        ("place an order", COMPLETE),
        ("what's", PARTIAL),  # the start of "what's good today"
        ("do you sell gluten free bread", OPEN),
        ("", OPEN),
    ],
)
def test_a_choice_ask_judges_choices_and_their_starts(text: str, expected: Completeness) -> None:
    assert demo_at_topic().completeness(text) is expected


def test_a_yes_no_ask_ends_on_yes_and_no() -> None:
    machine = demo_at_topic()
    machine.on_user_text("opening hours")
    assert machine.state.current == "anything_else"
    assert machine.completeness("yes") is COMPLETE
    assert machine.completeness("no") is COMPLETE
    assert machine.completeness("can you tell me about parking") is OPEN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oh seven nine one one one two three four five six", COMPLETE),  # UK length
        ("07911 123456", COMPLETE),  # digits as Whisper writes them
        ("oh seven nine one one", PARTIAL),  # short of the country's length
        ("my number is", PARTIAL),
        ("my number is oh seven nine", PARTIAL),
        ("i don't know", COMPLETE),  # a non-answer hint: the ask reprompts at once
        ("hold on", PARTIAL),  # "hold on a second"
        ("can i pay by card", OPEN),
    ],
)
def test_a_phone_ask_waits_for_the_whole_number(text: str, expected: Completeness) -> None:
    assert booking_at("phone").completeness(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is", PARTIAL),
        ("my name is james", COMPLETE),
        ("james smith", COMPLETE),
        ("i am", PARTIAL),
    ],
)
def test_a_name_ask_waits_after_my_name_is(text: str, expected: Completeness) -> None:
    machine = FlowMachine(FLOW, LONDON, clock=FakeClock())
    machine.start()
    assert machine.completeness(text) is expected


def test_a_number_ask_reads_numbers() -> None:
    machine = booking_at("party")
    assert machine.completeness("six of us") is COMPLETE
    assert machine.completeness("a table for") is PARTIAL
    assert machine.completeness("there will be") is PARTIAL


def test_free_text_and_an_ended_call_expect_nothing_in_particular() -> None:
    machine = booking_at("phone")
    machine.on_user_text("oh seven nine one one one two three four five six")
    assert machine.state.current == "note"
    assert machine.completeness("no nuts please") is COMPLETE  # a text ask reads anything
    machine.on_user_text("no nuts please")
    assert machine.state.ended
    assert machine.expectation is NOTHING
    assert machine.completeness("hello") is OPEN


def test_a_pattern_alone_scans_its_parts() -> None:
    phone = CompiledPattern.of(PATTERNS[AskType.PHONE])
    assert phone.scan(words("my number is")) == (False, True)
    assert phone.scan(words("my number is 0 7")) == (True, True)
    assert phone.scan(words("number is")) == (False, False)
    name = CompiledPattern.of(PATTERNS[AskType.NAME])
    assert name.scan(words("my name is james smith")) == (True, True)
    assert name.scan(words("james james")) == (False, False)  # the first name is said once
    # without a reader, a whole pattern is a whole answer
    assert Expectation.of((), PATTERNS[AskType.PHONE]).judge("oh seven") is COMPLETE
    assert Expectation.of(("no thank you", "no")).judge("no thank") is PARTIAL


def test_words_read_digits_one_by_one() -> None:
    assert words("Call 0209, at 7pm!") == (
        "call",
        "zero",
        "two",
        "zero",
        "nine",
        "at",
        "seven",
        "pm",
    )


def test_an_intent_ends_the_turn_but_a_question_intent_does_not() -> None:
    # the demo tenant's receptionist (its answer node needs the tenant's knowledge base)
    machine = prepare_call(Settings.model_validate({"kb_embeddings": False}), None).machine()
    machine.start()
    assert machine.state.current == "main_menu"
    assert machine.completeness("book a table") is COMPLETE  # a choice
    assert machine.completeness("i would like to order a cake") is COMPLETE  # an intent
    assert machine.completeness("goodbye") is COMPLETE  # a global intent
    # "hours" is a keyword of the "any question" intent: a question's end is unknown
    assert machine.completeness("when are your opening hours") is OPEN


def test_only_turns_that_may_reach_the_knowledge_base_prepare_a_search() -> None:
    machine = prepare_call(Settings.model_validate({"kb_embeddings": False}), None).machine()
    machine.start()
    assert not machine.may_search("book a table")  # a choice: no search in this turn
    assert machine.may_search("do you have vegan cakes")  # a question, carried on
    machine.on_user_text("book a table")
    assert machine.state.current == "party_size"
    assert not machine.may_search("four")
    machine = prepare_call(Settings.model_validate({"kb_embeddings": False}), None).machine()
    machine.start()
    machine.on_user_text("i have a question")
    assert machine.state.current == "questions"  # an answer node: every turn may search
    assert machine.may_search("yes")
