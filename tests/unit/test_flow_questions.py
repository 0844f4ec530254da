"""Questions and the tenant's services at a menu: an intent with ``questions: true``
takes any question however it starts, and an ask with ``choices_from: services`` offers
the tenant's services (its slot holds the id, templates say the name)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.errors import FlowLoadError, FlowRuntimeError
from agent.flow import FlowMachine, Say, TemplateContext, TenantInfo
from agent.flow.load import parse_flow
from agent.flow.questions import is_question

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text",
    [
        "I chipped a tooth, what do I do",
        "can I park nearby",
        "should I bring my insurance card",
        "hi yes so do you open on saturday",
        "how much is a cleaning",
        "which insurers do you take",
        "where's the car park",
        "I was wondering about your prices",
        "I need to know if you take Aetna",
        "my son has a toothache, what should we do",
        "Is it OK to eat before a filling?",
        "tell me about whitening",
    ],
)
def test_questions_are_heard_however_they_start(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to book an appointment",
        "a question",  # the menu's own choice, not a question
        "yes",
        "no thanks",
        "my name is peter smith",
        "I chipped a tooth",
        "tomorrow at ten",
        "leave a message",
        "I do",
        "two one two five five five",
    ],
)
def test_answers_and_requests_are_not_questions(text: str) -> None:
    assert not is_question(text)


MENU = """\
version: 1
id: menu
start: menu
intents:
  book: {keywords: [book, appointment]}
  ask: {questions: true}
nodes:
  menu:
    kind: ask
    prompt: How can I help?
    slot: topic
    type: choice
    choices: {booking: [a booking]}
    transitions:
      - {when: {intent: book}, to: service}
      - {when: {intent: ask}, to: asked}
      - {when: always, to: service}
      - {when: retries_exhausted, to: bye}
  service:
    kind: ask
    prompt: Is it for {{ tenant.services }}?
    slot: service
    type: choice
    choices_from: services
    transitions:
      - {when: always, to: done}
      - {when: retries_exhausted, to: bye}
  asked:
    kind: end
    text: Let me find out.
  done:
    kind: end
    text: Booked for {{ slots.service }}.
  bye:
    kind: end
    text: Bye.
"""
SERVICES = {
    "cleaning": ("a cleaning and check-up", "cleaning", "check up"),
    "filling": ("a filling", "cavity"),
    "child": ("a children's check-up", "my son", "check up"),
}
CONTEXT = TemplateContext(
    TenantInfo(
        name="Clinic", services="a cleaning and check-up, a filling or a children's check-up"
    ),
    services=SERVICES,
)
NOW = datetime(2026, 1, 6, 10, tzinfo=UTC)


def run(*lines: str, context: TemplateContext = CONTEXT) -> tuple[FlowMachine, list[str]]:
    machine = FlowMachine(parse_flow(MENU), context, clock=lambda: NOW)
    said = [a.text for a in machine.start() if isinstance(a, Say)]
    for line in lines:
        said += [a.text for a in machine.on_user_text(line) if isinstance(a, Say)]
    return machine, said


def test_a_question_intent_takes_questions_before_the_menu_reads_a_choice() -> None:
    machine, _ = run("should I bring my insurance card?")
    assert machine.state.path[-1] == "asked"


def test_the_tenants_services_are_offered_and_said_back_by_name() -> None:
    machine, said = run("a booking", "a filling please")
    assert said[1] == "Is it for a cleaning and check-up, a filling or a children's check-up?"
    assert machine.state.slots["service"] == "filling"  # the id, for conditions and analysis
    assert said[-1] == "Booked for a filling."  # the name, for the caller


def test_the_words_that_lead_to_a_choice_fill_it_when_they_name_one_choice() -> None:
    machine, said = run("I'd like to book a cleaning")
    assert machine.state.slots["service"] == "cleaning"
    assert said[-1] == "Booked for a cleaning and check-up."
    machine, said = run("can I book a check up")  # cleaning or child: ask which
    assert "service" not in machine.state.slots and said[-1].startswith("Is it for")


def test_a_flow_offering_services_needs_a_tenant_that_lists_them() -> None:
    with pytest.raises(FlowRuntimeError, match=r"node\(s\) service offer the tenant's services"):
        run(context=TemplateContext(TenantInfo(name="Clinic")))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("    choices_from: services\n    choices: {x: [x]}\n", "not both"),
        ("    choices_from: services\n".replace("services", "staff"), "choices_from"),
    ],
)
def test_bad_choices_from_is_a_load_error(change: str, message: str) -> None:
    text = MENU.replace("    choices_from: services\n", change)
    with pytest.raises(FlowLoadError, match=message):
        parse_flow(text)


def test_services_choices_need_an_always_transition() -> None:
    text = MENU.replace(
        "      - {when: always, to: done}\n", "      - {when: {slot_equals: x}, to: done}\n"
    )
    with pytest.raises(FlowLoadError, match="needs an 'always' transition"):
        parse_flow(text)
