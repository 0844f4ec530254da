"""Every node kind and condition added to the engine, in text mode: lead_gate, answer,
clarify, handoff, questions, llm (through assists), intent conditions and the global
"human" intent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from agent.errors import FlowLoadError, FlowRuntimeError
from agent.flow import FlowMachine, ListSink, Say, TemplateContext, TenantInfo, parse_flow
from agent.flow.actions import Action, AssistError, Consult, Listen, Replied, ToolCalled
from agent.flow.events import (
    AssistFailed,
    ConsentRecorded,
    FlowEvent,
    HandoffRequested,
    KnowledgeAnswered,
    SlotCleared,
    SlotSet,
    TransitionTaken,
)
from agent.flow.load import require_llm
from agent.flow.match import match_intent, tokens
from agent.flow.model import Flow
from agent.knowledge.base import Passage, SearchResult

pytestmark = pytest.mark.unit

CTX = TemplateContext(TenantInfo(name="Crumb & Co", timezone="UTC"))
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@dataclass
class WordIndex:
    """A small in-memory knowledge index for tests: an answer per set of keywords, with a
    confidence of the share of the keywords the question holds."""

    entries: dict[tuple[str, ...], str]

    def search(self, question: str, k: int = 3) -> SearchResult:
        words = set(tokens(question))
        scored = sorted(
            ((len(words & set(keys)) / len(keys), text) for keys, text in self.entries.items()),
            reverse=True,
        )
        best, text = scored[0]
        passages = (Passage(text, best, "faq.md", "FAQ"),) if best else ()
        return SearchResult(question, passages, best, text if best else "")


FAQ = WordIndex({
    ("open", "sunday"): "We are open on Sundays from eight until two.",
    ("gluten", "free"): "Our sourdough is not gluten free, but the almond cake is.",
})  # fmt: skip


def run(
    flow: Flow, *, knowledge: WordIndex | None = None, assisted: bool = False
) -> tuple[FlowMachine, ListSink]:
    sink = ListSink()
    machine = FlowMachine(
        flow, CTX, sink=sink, clock=lambda: NOW, knowledge=knowledge, assisted=assisted
    )
    return machine, sink


def said(actions: Sequence[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def of(kind: type, events: Sequence[FlowEvent]) -> list[FlowEvent]:
    return [e for e in events if isinstance(e, kind)]


def transitions(events: Sequence[FlowEvent]) -> list[tuple[str, str, str]]:
    return [(e.from_node, e.to_node, e.reason) for e in events if isinstance(e, TransitionTaken)]


def flow(nodes: str, *, start: str, extra: str = "") -> Flow:
    text = f"version: 1\nid: t\nstart: {start}\n{extra}nodes:\n{nodes}"
    return parse_flow(text)


END = """\
  bye: {kind: end, text: Goodbye.}
"""

# --- lead_gate ----------------------------------------------------------------------------

GATE = flow(
    """\
  gate:
    kind: lead_gate
    email_prompt: What email should we use?
    consent: May we email you offers about {{ tenant.name }}? You can opt out any time.
    on_consent: offers
  # a comment line, ignored
    on_refusal: bye
  offers: {kind: end, text: "Thanks, offers go to {{ slots.email }}.", requires_consent: true}
"""
    + END,
    start="gate",
)


def test_lead_gate_records_consent_with_who_wording_and_time() -> None:
    machine, sink = run(GATE)
    assert said(machine.start()) == "What email should we use?"
    assert "May we email you offers" in said(
        machine.on_user_text("it's jane dot doe at gmail dot com")
    )
    actions = machine.on_user_text("yes that's fine")
    assert said(actions) == "Thanks, offers go to jane dot doe at gmail dot com."  # spoken
    assert machine.state.slots["email"] == "jane.doe@gmail.com"
    (consent,) = of(ConsentRecorded, sink.events)
    assert isinstance(consent, ConsentRecorded)
    assert consent.granted and consent.who == "jane.doe@gmail.com" and consent.at == NOW
    assert consent.wording == (
        "May we email you offers about Crumb & Co? You can opt out any time."
    )
    assert machine.state.slots["consent"] == "yes"
    assert ("gate", "offers", "consented") in transitions(sink.events)


def test_lead_gate_refusal_takes_its_own_transition_and_is_recorded() -> None:
    machine, sink = run(GATE)
    machine.start()
    machine.on_user_text("jane@example.com")
    assert said(machine.on_user_text("no thanks")) == "Goodbye."
    (consent,) = of(ConsentRecorded, sink.events)
    assert isinstance(consent, ConsentRecorded) and not consent.granted
    assert consent.who == "jane@example.com"  # who declined is part of the record
    assert ("gate", "bye", "refused") in transitions(sink.events)
    # the consent asked to keep the email: declined, the call keeps it no longer
    assert "email" not in machine.state.slots and "email" not in machine.state.spoken
    (cleared,) = of(SlotCleared, sink.events)
    assert isinstance(cleared, SlotCleared)
    assert (cleared.slot, cleared.reason) == ("email", "consent declined")


def test_lead_gate_without_an_answer_keeps_no_email() -> None:
    machine, sink = run(GATE)
    machine.start()
    machine.on_user_text("jane@example.com")
    for _ in range(5):
        if machine.state.ended:
            break
        machine.on_no_input()
    assert machine.state.slots["consent"] == "no"
    assert "email" not in machine.state.slots
    assert [e.slot for e in of(SlotCleared, sink.events) if isinstance(e, SlotCleared)] == ["email"]


def test_lead_gate_refusing_the_email_is_a_refusal() -> None:
    machine, sink = run(GATE)
    machine.start()
    machine.on_user_text("no I'd rather not")
    assert machine.state.ended and machine.state.slots["consent"] == "no"
    assert ("gate", "bye", "refused") in transitions(sink.events)


def test_lead_gate_skips_a_known_email_and_reprompts_an_unclear_consent() -> None:
    both = flow(
        """\
  email: {kind: ask, prompt: "Email?", slot: email, type: email,
          transitions: [{when: always, to: gate}, {when: retries_exhausted, to: bye}]}
  gate: {kind: lead_gate, consent: "May we email you?", on_consent: bye, on_refusal: bye}
"""
        + END,
        start="email",
    )
    machine, _sink = run(both)
    machine.start()
    assert said(machine.on_user_text("sam@example.org")) == "May we email you?"
    assert said(machine.on_user_text("what is the weather")) == "May we email you?"
    machine.on_user_text("sure")
    assert machine.state.slots["consent"] == "yes"


def test_lead_gate_running_out_of_retries_is_no_consent() -> None:
    machine, sink = run(GATE)
    machine.start()
    for _ in range(3):
        machine.on_user_text("purple monkey dishwasher")
    assert machine.state.ended and machine.state.slots["consent"] == "no"
    assert not of(ConsentRecorded, sink.events)
    assert ("gate", "bye", "retries_exhausted") in transitions(sink.events)


# --- answer -------------------------------------------------------------------------------

ANSWER = flow(
    """\
  faq:
    kind: answer
    prompt: What would you like to know?
    followup: Anything else?
    unknown: Sorry, I don't know that.
    max_low_confidence: 2
    threshold: 0.6
    done: bye
    on_low_confidence: person
    transitions: [{when: {intent: order}, to: order}]
  order: {kind: end, text: Let's take your order.}
  person: {kind: handoff, text: Let me get a colleague., next: bye}
"""
    + END,
    start="faq",
    extra="intents:\n  order: {keywords: [order], examples: [buy a cake]}\n",
)


def test_answer_node_answers_above_the_threshold_and_asks_for_more() -> None:
    machine, sink = run(ANSWER, knowledge=FAQ)
    machine.start()
    actions = machine.on_user_text("are you open on sunday")
    assert said(actions) == "We are open on Sundays from eight until two. Anything else?"
    assert isinstance(actions[-1], Listen) and machine.state.current == "faq"
    (answered,) = of(KnowledgeAnswered, sink.events)
    assert isinstance(answered, KnowledgeAnswered)
    assert answered.answered and answered.confidence == 1.0 and answered.source == "faq.md"


def test_answer_node_never_invents_below_the_threshold_then_leaves() -> None:
    machine, sink = run(ANSWER, knowledge=FAQ)
    machine.start()
    first = said(machine.on_user_text("is the sourdough free of nuts"))  # 1 of 2 keywords
    assert first == "Sorry, I don't know that. Anything else?"
    assert "sourdough" not in first
    second = said(machine.on_user_text("do you deliver to leeds"))
    assert second == "Sorry, I don't know that. Let me get a colleague. Goodbye."
    assert ("faq", "person", "low_confidence") in transitions(sink.events)
    assert [e.answered for e in of(KnowledgeAnswered, sink.events)] == [False, False]  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["no", "no thanks", "that's all", "nothing else thank you"])
def test_answer_node_done(text: str) -> None:
    machine, sink = run(ANSWER, knowledge=FAQ)
    machine.start()
    assert said(machine.on_user_text(text)) == "Goodbye."
    assert ("faq", "bye", "done") in transitions(sink.events)


def test_answer_node_takes_a_long_question_holding_no_as_a_question() -> None:
    machine, _ = run(ANSWER, knowledge=FAQ)
    machine.start()
    text = said(machine.on_user_text("no wait is the almond cake gluten free then"))
    assert text.startswith("Our sourdough is not gluten free")


def test_answer_node_intent_transition_comes_before_searching() -> None:
    machine, sink = run(ANSWER, knowledge=FAQ)
    machine.start()
    assert (
        said(machine.on_user_text("actually I want to place an order")) == "Let's take your order."
    )
    assert ("faq", "order", "intent") in transitions(sink.events)
    assert not of(KnowledgeAnswered, sink.events)


def test_answer_node_needs_a_knowledge_base() -> None:
    with pytest.raises(FlowRuntimeError, match="answer node"):
        run(ANSWER)


# --- clarify --------------------------------------------------------------------------------

CAKES = flow(
    """\
  cake:
    kind: ask
    prompt: Which cake would you like?
    slot: cake
    type: choice
    choices:
      carrot: [carrot cake, the cake with carrots]
      chocolate: [chocolate cake, the chocolate one]
      lemon: [lemon drizzle]
    clarify: which
    transitions: [{when: always, to: done}, {when: retries_exhausted, to: bye}]
  which:
    kind: clarify
    prompt: Did you mean {{ clarify.options }}?
    otherwise: bye
  done: {kind: end, text: "One {{ slots.cake }} cake it is."}
"""
    + END,
    start="cake",
)


def test_ambiguous_choice_goes_to_clarify_and_the_reply_returns_to_the_ask() -> None:
    machine, sink = run(CAKES)
    machine.start()
    assert said(machine.on_user_text("just a cake please")) == (
        "Did you mean carrot cake or chocolate cake?"
    )
    assert machine.state.current == "which"
    assert said(machine.on_user_text("the second one")) == "One chocolate cake it is."
    assert transitions(sink.events) == [
        ("cake", "which", "clarify"),
        ("which", "cake", "returned"),
        ("cake", "done", "matched"),
    ]


def test_clarify_reply_by_name_and_unclear_reply_reprompts_the_ask() -> None:
    machine, _ = run(CAKES)
    machine.start()
    machine.on_user_text("cake")
    assert said(machine.on_user_text("carrot")) == "One carrot cake it is."
    machine2, _ = run(CAKES)
    machine2.start()
    machine2.on_user_text("cake")
    assert said(machine2.on_user_text("hmm what")) == "Which cake would you like?"
    assert machine2.state.current == "cake" and machine2.state.clarifying is None


def test_clarify_is_visited_at_most_max_visits_times() -> None:
    machine, sink = run(CAKES)
    machine.start()
    machine.on_user_text("a cake")
    machine.on_user_text("banana")  # back at the ask, reprompted
    assert said(machine.on_user_text("the cake")) == "Goodbye."
    assert ("which", "bye", "retries_exhausted") in transitions(sink.events)


def test_clarify_from_an_answer_node_hands_back_the_reworded_question() -> None:
    via_clarify = flow(
        """\
  faq: {kind: answer, prompt: Ask away., threshold: 0.6, max_low_confidence: 1,
        done: bye, on_low_confidence: reword}
  reword: {kind: clarify, prompt: "Could you put that another way?", otherwise: bye}
"""
        + END,
        start="faq",
    )
    machine, sink = run(via_clarify, knowledge=FAQ)
    machine.start()
    assert "another way" in said(machine.on_user_text("when do you do weekends"))
    assert said(machine.on_user_text("are you open on a sunday")).startswith("We are open")
    assert machine.state.current == "faq"
    assert ("reword", "faq", "returned") in transitions(sink.events)


# --- handoff and the global human intent ---------------------------------------------------

HANDOFF = flow(
    """\
  name: {kind: ask, prompt: "Your name?", slot: name, type: name,
         transitions: [{when: always, to: bye}, {when: retries_exhausted, to: person}]}
  person:
    kind: handoff
    text: I'll ask a colleague to call you back.
    reason: could not get the caller's name
    next: bye
"""
    + END,
    start="name",
    extra="globals: {human: {to: person}}\n",
)


def test_human_intent_from_any_node_requests_a_handoff_with_reason_and_summary() -> None:
    machine, sink = run(HANDOFF)
    machine.start()
    actions = machine.on_user_text("can I talk to a real person please")
    assert said(actions) == "I'll ask a colleague to call you back. Goodbye."
    (handoff,) = of(HandoffRequested, sink.events)
    assert isinstance(handoff, HandoffRequested)
    assert handoff.reason == "the caller asked for a person"
    assert "talk to a real person" in handoff.summary
    assert ("name", "person", "global_intent") in transitions(sink.events)


def test_handoff_by_transition_uses_the_node_reason() -> None:
    machine, sink = run(HANDOFF)
    machine.start()
    for _ in range(3):
        machine.on_user_text("???? !!!")
    (handoff,) = of(HandoffRequested, sink.events)
    assert isinstance(handoff, HandoffRequested)
    assert handoff.reason == "could not get the caller's name"


def test_flow_may_override_the_human_phrases() -> None:
    custom = flow(
        HANDOFF_NODES,
        start="name",
        extra="globals: {human: {to: person, examples: [speak to the baker]}}\n",
    )
    machine, _ = run(custom)
    machine.start()
    machine.on_user_text("a real person")  # no longer a human intent: a name?
    assert not machine.state.ended or machine.state.slots.get("name")
    machine2, sink2 = run(custom)
    machine2.start()
    machine2.on_user_text("let me speak to the baker")
    assert of(HandoffRequested, sink2.events)


HANDOFF_NODES = (
    """\
  name: {kind: ask, prompt: "Your name?", slot: name, type: name,
         transitions: [{when: always, to: bye}, {when: retries_exhausted, to: person}]}
  person: {kind: handoff, text: One moment., next: bye}
"""
    + END
)

# --- questions ------------------------------------------------------------------------------

QUESTIONS = flow(
    """\
  role: {kind: ask, prompt: "What is your role?", slot: role, type: text,
         transitions: [{when: always, to: discovery}, {when: retries_exhausted, to: bye}]}
  discovery:
    kind: questions
    intro: A few questions about your needs.
    questions:
      - {key: role, ask: "What is your role?"}
      - {key: team_size, ask: "How many people are on your team?", type: number}
      - key: budget
        ask: What budget do you have in mind?
        detect: [budget, spend]
      - key: pain
        ask: What is the biggest problem today?
        follow_up: Could you tell me a bit more about that?
        follow_up_below_words: 5
    next: wrap
  wrap: {kind: end, text: "Thanks. Team of {{ slots.team_size }}."}
"""
    + END,
    start="role",
)


def test_questions_skip_what_is_known_and_what_was_said_earlier() -> None:
    machine, _sink = run(QUESTIONS)
    machine.start()
    actions = machine.on_user_text("head of operations and our budget is about ten thousand")
    assert said(actions) == (
        "A few questions about your needs. How many people are on your team?"
    )  # role known, so asked from team_size on
    text = said(machine.on_user_text("about twelve"))
    assert text == "What is the biggest problem today?"  # budget was said already
    assert machine.state.slots["budget"] == (
        "head of operations and our budget is about ten thousand"
    )
    assert machine.state.slots["team_size"] == "12"


def test_questions_follow_up_a_short_answer_and_store_it_under_its_own_key() -> None:
    machine, _ = run(QUESTIONS)
    machine.start()
    machine.on_user_text("founder")
    machine.on_user_text("five")
    machine.on_user_text("maybe twenty thousand")
    assert said(machine.on_user_text("late deliveries")) == (
        "Could you tell me a bit more about that?"
    )
    done = said(machine.on_user_text("the van comes after we open so shelves are empty"))
    assert done == "Thanks. Team of 5."
    assert machine.state.slots["pain"] == "late deliveries"
    assert machine.state.slots["pain_follow_up"].startswith("the van comes")


def test_questions_can_be_skipped_and_silence_moves_on() -> None:
    machine, _sink = run(QUESTIONS)
    machine.start()
    machine.on_user_text("owner")
    assert said(machine.on_user_text("pass")) == "What budget do you have in mind?"
    machine.on_no_input()  # reprompt
    assert said(machine.on_no_input()) == "What is the biggest problem today?"
    assert "team_size" not in machine.state.slots and "budget" not in machine.state.slots


def test_questions_reprompt_a_typed_question_that_got_no_value() -> None:
    machine, _ = run(QUESTIONS)
    machine.start()
    machine.on_user_text("owner")
    assert said(machine.on_user_text("quite a lot")) == "How many people are on your team?"


# --- intents ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'd like to order a cake", True),  # keyword
        ("can I ORDERS some bread", True),  # plural folded
        ("I want to buy a cake for friday", True),  # example phrase
        ("do you do pre-orders", True),  # regex
        ("what time do you open", False),
    ],
)
def test_intent_matches_keywords_examples_and_regex(text: str, expected: bool) -> None:
    from agent.flow.conditions import IntentSpec

    spec = IntentSpec(keywords=("order",), examples=("buy a cake",), regex=r"\bpre ?orders?\b")
    assert match_intent(spec, text) is expected


def test_ask_intent_transition_comes_before_reading_the_answer() -> None:
    menu = flow(
        """\
  topic:
    kind: ask
    prompt: Hours or specials?
    slot: topic
    type: choice
    choices: {hours: [hours], specials: [specials]}
    transitions:
      - {when: {intent: {keywords: [complaint, complain]}}, to: person}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
  person: {kind: handoff, text: Sorry to hear that., next: bye}
"""
        + END,
        start="topic",
    )
    machine, sink = run(menu)
    machine.start()
    machine.on_user_text("I want to complain about the specials")
    assert ("topic", "person", "intent") in transitions(sink.events)
    assert machine.state.slots["topic"] == "specials"  # kept, though the intent moved on


def test_words_an_intent_carries_into_an_answer_node_are_answered_at_once() -> None:
    menu = flow(
        """\
  menu:
    kind: ask
    prompt: "Order or question?"
    slot: topic
    type: choice
    choices: {order: [order]}
    transitions:
      - {when: {intent: {keywords: [open, gluten]}}, to: faq}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
  faq: {kind: answer, prompt: "What would you like to know?", threshold: 0.6,
        done: bye, on_low_confidence: bye}
"""
        + END,
        start="menu",
    )
    machine, _ = run(menu, knowledge=FAQ)
    machine.start()
    assert said(machine.on_user_text("are you open on sunday")) == (
        "We are open on Sundays from eight until two. Is there anything else you would like "
        "to know?"
    )
    machine2, _ = run(menu, knowledge=FAQ)
    machine2.start()  # words the knowledge base cannot answer: the node asks as usual
    assert said(machine2.on_user_text("is it gluten")) == "What would you like to know?"


def test_unknown_named_intent_is_a_load_error_with_a_suggestion() -> None:
    with pytest.raises(FlowLoadError, match=r"unknown intent 'ordr' \(did you mean 'order'\?\)"):
        flow(
            """\
  faq: {kind: answer, prompt: Hi., done: bye, on_low_confidence: bye,
        transitions: [{when: {intent: ordr}, to: bye}]}
"""
            + END,
            start="faq",
            extra="intents:\n  order: {keywords: [order]}\n",
        )


def test_intent_spec_needs_something_to_match() -> None:
    with pytest.raises(FlowLoadError, match="needs examples, keywords, a regex or questions: true"):
        flow(
            "  a: {kind: answer, prompt: Hi., done: bye, on_low_confidence: bye}\n" + END,
            start="a",
            extra="intents:\n  empty: {}\n",
        )


# --- llm nodes and LLM-assisted mode -----------------------------------------------------

LLM_FLOW = flow(
    """\
  chat:
    kind: llm
    instructions: Help the caller choose a cake for their party.
    prompt: What's the occasion?
    max_turns: 2
    tools:
      - name: choose_cake
        description: The caller picked a cake.
        parameters: {flavour: {description: the flavour}}
        say: Let me check that for you.
        to: done
    fallback: bye
  done: {kind: end, text: "A {{ slots.flavour }} cake, lovely."}
"""
    + END,
    start="chat",
)


def test_llm_node_consults_and_commits_nothing_until_the_answer() -> None:
    machine, sink = run(LLM_FLOW, assisted=True)
    machine.start()
    before = machine.state
    (consult,) = machine.on_user_text("it's my daughter's birthday")
    assert isinstance(consult, Consult) and consult.may_reply
    assert consult.instructions.startswith("Help the caller")
    assert [t.name for t in consult.tools] == ["choose_cake"]
    assert consult.history == (("agent", "What's the occasion?"),)
    assert machine.state is before  # nothing committed
    reply = machine.on_user_text(
        "it's my daughter's birthday", assist=Replied("How fun! Any flavour?")
    )
    assert said(reply) == "How fun! Any flavour?"
    call = ToolCalled("choose_cake", {"flavour": "strawberry"})
    assert said(machine.on_user_text("strawberry", assist=call)) == (
        "Let me check that for you. A strawberry cake, lovely."
    )
    taken = [e for e in sink.events if isinstance(e, TransitionTaken)]
    assert taken[-1].reason == "tool" and taken[-1].by_llm


def test_llm_failure_falls_back_to_scripted_reprompts_then_the_fallback_node() -> None:
    machine, sink = run(LLM_FLOW, assisted=True)
    machine.start()
    assert said(machine.on_user_text("hi", assist=AssistError("timeout"))) == "What's the occasion?"
    machine.on_user_text("hi", assist=AssistError("timeout"))
    assert said(machine.on_user_text("hi", assist=AssistError("timeout"))) == "Goodbye."
    failed = of(AssistFailed, sink.events)
    assert len(failed) == 3 and failed[0].error == "timeout"  # type: ignore[attr-defined]


def test_llm_node_leaves_after_max_turns() -> None:
    machine, _ = run(LLM_FLOW, assisted=True)
    machine.start()
    machine.on_user_text("a", assist=Replied("Tell me more."))
    assert said(machine.on_user_text("b", assist=Replied("Great."))) == "Great. Goodbye."


def test_unknown_tool_is_a_failure_not_a_crash() -> None:
    machine, sink = run(LLM_FLOW, assisted=True)
    machine.start()
    machine.on_user_text("x", assist=ToolCalled("delete_everything", {}))
    assert machine.state.current == "chat" and of(AssistFailed, sink.events)


def test_flow_with_llm_nodes_is_refused_without_an_llm() -> None:
    with pytest.raises(
        FlowLoadError, match=r"llm node\(s\) chat, which need an LLM: set FRONTDESK_LLM"
    ):
        require_llm(LLM_FLOW, llm_configured=False)
    require_llm(LLM_FLOW, llm_configured=True)


ASK = flow(
    """\
  size:
    kind: ask
    prompt: How many people?
    slot: size
    type: number
    transitions:
      - {when: {intent: {keywords: [cancel]}}, to: bye}
      - {when: {if: "slots.size > 8"}, to: big}
      - {when: always, to: ok}
      - {when: retries_exhausted, to: bye}
  big: {kind: end, text: A big party.}
  ok: {kind: end, text: "{{ slots.size }} people."}
"""
    + END,
    start="size",
)


def test_scripted_mode_never_consults() -> None:
    machine, _ = run(ASK)
    machine.start()
    assert said(machine.on_user_text("a handful of us")) == "How many people?"


def test_assisted_ask_consults_only_when_no_matcher_matched() -> None:
    machine, _sink = run(ASK, assisted=True)
    machine.start()
    assert said(machine.on_user_text("ten of us")) == "A big party."  # deterministic
    machine2, sink2 = run(ASK, assisted=True)
    machine2.start()
    (consult,) = machine2.on_user_text("me my wife and the kids")
    assert isinstance(consult, Consult) and not consult.may_reply
    assert [t.name for t in consult.tools] == ["set_size", "go_to_bye"]
    extracted = ToolCalled("set_size", {"value": "5"})
    assert said(machine2.on_user_text("me my wife and the kids", assist=extracted)) == ("5 people.")
    (slot,) = of(SlotSet, sink2.events)
    assert isinstance(slot, SlotSet) and slot.raw_text == "me my wife and the kids"
    assert [e for e in sink2.events if isinstance(e, TransitionTaken)][-1].by_llm


def test_assisted_value_is_validated_like_words() -> None:
    machine, sink = run(ASK, assisted=True)
    machine.start()
    machine.on_user_text("a few", assist=ToolCalled("set_size", {"value": "several"}))
    assert machine.state.current == "size" and machine.state.retries == 1
    assert of(AssistFailed, sink.events)


# --- checks of the new kinds ---------------------------------------------------------------


def test_check_finds_consent_that_can_be_skipped() -> None:
    from agent.authoring.check import check_flow

    leaky = flow(
        """\
  menu:
    kind: ask
    prompt: Offers or hours?
    slot: topic
    type: choice
    choices: {offers: [offers], hours: [hours]}
    transitions:
      - {when: {slot_equals: offers}, to: gate}
      - {when: {slot_equals: hours}, to: offers}
      - {when: retries_exhausted, to: bye}
  gate: {kind: lead_gate, consent: "May we email you?", on_consent: offers, on_refusal: bye}
  offers: {kind: end, text: Offers are on the way., requires_consent: true}
"""
        + END,
        start="menu",
    )
    (finding,) = [f for f in check_flow(leaky) if "consent" in f.message]
    assert finding.severity == "error" and finding.node == "offers"
    assert "skips every lead_gate's consent: menu -> offers" in finding.message
    assert not [f for f in check_flow(GATE) if "consent" in f.message]  # refusal goes to bye


def test_check_knows_the_slots_a_lead_gate_sets_only_on_consent() -> None:
    from agent.authoring.check import check_flow

    reads = flow(
        """\
  gate: {kind: lead_gate, consent: "OK?", on_consent: thanks, on_refusal: sorry}
  thanks: {kind: end, text: "Mail to {{ slots.email }}."}
  sorry: {kind: end, text: "No mail to {{ slots.email }}."}
""",
        start="gate",
    )
    (finding,) = check_flow(reads)
    assert finding.node == "sorry" and "reads slot 'email' before" in finding.message


def test_clarify_must_name_a_clarify_node() -> None:
    with pytest.raises(FlowLoadError, match="'clarify' must name a clarify node, not a end"):
        flow(CAKES_NODES.replace("clarify: which", "clarify: bye"), start="cake")


CAKES_NODES = (
    """\
  cake:
    kind: ask
    prompt: Which cake?
    slot: cake
    type: choice
    choices: {carrot: [carrot cake], chocolate: [chocolate cake]}
    clarify: which
    transitions: [{when: always, to: bye}, {when: retries_exhausted, to: bye}]
  which: {kind: clarify, prompt: "Which?", otherwise: bye}
"""
    + END
)


def test_nodes_that_never_wait_may_not_loop() -> None:
    with pytest.raises(FlowLoadError, match="loop forever without waiting for the caller"):
        flow(
            """\
  a: {kind: say, text: Hi., next: b}
  b: {kind: handoff, text: One moment., next: a}
""",
            start="a",
        )


def test_task_node_transitions_take_no_bare_keywords() -> None:
    with pytest.raises(FlowLoadError, match="answer node transitions take intents"):
        flow(
            "  a: {kind: answer, prompt: Hi., done: bye, on_low_confidence: bye,\n"
            "      transitions: [{when: always, to: bye}]}\n" + END,
            start="a",
        )


def test_rendering_draws_every_kind_and_its_exits() -> None:
    from agent.authoring.render import to_mermaid

    text = to_mermaid(GATE) + to_mermaid(CAKES) + to_mermaid(LLM_FLOW)
    assert '|"consented"| n_offers' in text and '|"refused"| n_bye' in text
    assert 'n_which -.->|"returns the reply"| n_cake' in text
    assert '|"tool choose_cake"| n_done' in text


# --- fixes found while writing the shipped flows -------------------------------------------


def test_a_slot_named_like_a_dict_method_renders_its_value() -> None:
    items = flow(
        """\
  a: {kind: ask, prompt: "What?", slot: items, type: text,
      transitions: [{when: always, to: b}, {when: retries_exhausted, to: b}]}
  b: {kind: end, text: "You ordered {{ slots.items }}, that is {{ slots['items'] }}."}
""",
        start="a",
    )
    machine, _ = run(items)
    machine.start()
    assert said(machine.on_user_text("two loaves")) == (
        "You ordered two loaves, that is two loaves."
    )


def test_a_date_ask_takes_a_day_without_a_time() -> None:
    wedding = flow(
        """\
  when: {kind: ask, prompt: "When is the wedding?", slot: wedding, type: date,
         transitions: [{when: always, to: b}, {when: retries_exhausted, to: b}]}
  b: {kind: end, text: "Congratulations on {{ slots.wedding }}."}
""",
        start="when",
    )
    machine, _ = run(wedding)
    machine.start()
    assert said(machine.on_user_text("it's on the 14th of June")) == (
        "Congratulations on Sunday the 14th of June."
    )
    assert machine.state.slots["wedding"] == "2026-06-14"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("20/06/2026", "2026-06-20"),  # day first, as in the UK
        ("06/20/2026", "2026-06-20"),  # 20 cannot be a month
        ("tomorrow", "2026-03-05"),
        ("31/02/2026", None),  # no such day
        ("the 1st of March", "2027-03-01"),  # past this year: next year
    ],
)
def test_dates_read_alone(text: str, iso: str | None) -> None:
    from agent.flow.slots import SlotContext, extract_date

    found = extract_date(text, SlotContext(now=NOW, timezone=UTC))
    assert (found.value if found else None) == iso


def test_a_numeric_date_is_never_read_as_a_time() -> None:
    from agent.flow.slots import SlotContext, extract_datetime

    assert extract_datetime("20/06/2026", SlotContext(now=NOW, timezone=UTC)) is None


@pytest.mark.parametrize("text", ["no idea", "I'd rather not", "pass"])
def test_refusals_are_not_names(text: str) -> None:
    from agent.flow.slots import SlotContext, extract_name

    assert extract_name(text, SlotContext(now=NOW, timezone=UTC)) is None


@pytest.mark.parametrize(
    ("text", "answer"),
    [("I'd rather not", "no"), ("no way", "no"), ("yes I don't mind", "yes"), ("go ahead", "yes")],
)
def test_refusals_and_consents_in_other_words(text: str, answer: str) -> None:
    from agent.flow.match import match_yes_no

    found = match_yes_no(text)
    assert found is not None and found.value == answer


def test_lead_gate_takes_id_rather_not_as_a_refusal() -> None:
    machine, sink = run(GATE)
    machine.start()
    machine.on_user_text("I'd rather not")
    assert machine.state.slots["consent"] == "no"
    assert ("gate", "bye", "refused") in transitions(sink.events)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("oh seven seven oh oh nine double oh one two three", "+447700900123"),
        ("oh seven two one oh oh nine double oh one two three", None),  # a digit too many
        ("oh seven seven oh oh nine", None),  # too short for a UK number
        ("plus one two oh two five five five oh one two three", "+12025550123"),
    ],
)
def test_phone_numbers_must_be_possible_for_their_country(text: str, number: str | None) -> None:
    from agent.flow.slots import SlotContext, extract_phone

    found = extract_phone(text, SlotContext(now=NOW, timezone=UTC, default_country_code="44"))
    assert (found.value if found else None) == number


@pytest.mark.parametrize(
    ("text", "human"),
    [
        ("can I speak to someone please", True),
        ("I want the manager please", True),
        ("just put me through to sales", True),
        ("the manager signs off every order over a thousand pounds", False),
        ("we are a small team of humans who bake", False),
    ],
)
def test_default_human_phrases_are_requests_not_nouns(text: str, human: bool) -> None:
    from agent.flow.match import match_global_intent
    from agent.flow.model import GlobalIntentName, GlobalIntents, HumanIntent

    found = match_global_intent(text, GlobalIntents(human=HumanIntent(to="person")))
    assert (found is GlobalIntentName.HUMAN) is human
