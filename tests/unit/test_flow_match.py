"""Deterministic matchers: realistic phrasings map to choices, yes/no and global intents."""

from __future__ import annotations

import pytest

from agent.config import ROOT
from agent.flow import (
    AskNode,
    GlobalIntentName,
    GlobalIntents,
    YesNo,
    hints_for,
    load_flow,
    match_choice,
    match_global_intent,
    match_yes_no,
    normalize,
)
from agent.flow.model import GoodbyeIntent

pytestmark = pytest.mark.unit

DEMO = load_flow(ROOT / "flows" / "demo_bakery.yaml")


def ask(node_id: str) -> AskNode:
    node = DEMO.nodes[node_id]
    assert isinstance(node, AskNode)
    return node


TOPIC = ask("topic")
ANYTHING_ELSE = ask("anything_else")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Uh, that's RIGHT!", "that is right"),
        ("  Today\u2019s   specials? ", "todays specials"),
        ("I'm good, thanks.", "i am good thanks"),
        ("Crumb & Co", "crumb and co"),
        ("um... er", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("uh the opening hours please", "hours"),  # a phrase inside the utterance
        ("Hours.", "hours"),  # exact, punctuation ignored
        ("when do you open", "hours"),  # token overlap: when, open
        ("What's good today?", "specials"),
        ("today's specials please", "specials"),
        ("I'd like to order a cake", "order"),
        ("can I place an order", "order"),
        ("I want to order something", "order"),  # overlap: order
        ("banana bread", None),
        ("", None),
    ],
)
def test_match_choice_on_the_demo_topics(text: str, expected: str | None) -> None:
    assert match_choice(text, TOPIC.choices) == expected


def test_the_longest_contained_phrase_wins() -> None:
    choices = {"plain": ["cake"], "cheese": ["cheese cake"]}
    assert match_choice("a cheese cake please", choices) == "cheese"
    assert match_choice("a cake please", choices) == "plain"


def test_an_exact_phrase_beats_a_longer_contained_one() -> None:
    choices = {"long": ["cake please"], "short": ["cake"]}
    assert match_choice("cake", choices) == "short"


def test_ties_go_to_the_choice_declared_first() -> None:
    forward = {"first": ["big red"], "second": ["red box"]}
    backward = {"second": ["red box"], "first": ["big red"]}
    assert match_choice("red", forward) == "first"
    assert match_choice("red", backward) == "second"


def test_overlap_needs_half_the_phrase() -> None:
    choices = {"delivery": ["home delivery service"]}
    assert match_choice("service", choices) is None  # one word of three
    assert match_choice("delivery service", choices) == "delivery"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yeah that's it", YesNo.YES),
        ("Yes please.", YesNo.YES),
        ("sure", YesNo.YES),
        ("yep", YesNo.YES),
        ("that's right", YesNo.YES),
        ("correct", YesNo.YES),
        ("uh okay", YesNo.YES),
        ("no thanks", YesNo.NO),
        ("No thank you, that's all.", YesNo.NO),
        ("nope", YesNo.NO),
        ("not really", YesNo.NO),
        ("I'm good", YesNo.NO),
        ("that's not right", YesNo.NO),
        ("I don't think so", YesNo.NO),
        ("no, wait, yes", YesNo.YES),  # the caller's last word counts
        ("yeah no thanks", YesNo.NO),
        ("I'm not sure", None),
        ("yes, well, maybe", None),
        ("what time do you close", None),
        ("", None),
    ],
)
def test_match_yes_no(text: str, expected: YesNo | None) -> None:
    assert match_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("okay bye", GlobalIntentName.GOODBYE),
        ("Goodbye!", GlobalIntentName.GOODBYE),
        ("sorry, can you say that again?", GlobalIntentName.REPEAT),
        ("pardon?", GlobalIntentName.REPEAT),
        ("the opening hours", None),
        ("maybe", None),
    ],
)
def test_match_global_intent_on_the_demo(text: str, expected: GlobalIntentName | None) -> None:
    assert match_global_intent(text, DEMO.globals) == expected


def test_global_phrases_match_whole_words_only() -> None:
    intents = GlobalIntents(goodbye=GoodbyeIntent(to="end", examples=("bye",)), repeat=None)
    assert match_global_intent("goodbye", intents) is None
    assert match_global_intent("bye then", intents) is GlobalIntentName.GOODBYE


def test_global_examples_are_overridable_and_goodbye_is_off_without_a_target() -> None:
    custom = GlobalIntents(goodbye=GoodbyeIntent(to="end", examples=("cheerio",)))
    assert match_global_intent("cheerio", custom) is GlobalIntentName.GOODBYE
    assert match_global_intent("bye", custom) is None
    assert match_global_intent("bye", GlobalIntents()) is None
    assert match_global_intent("say that again", GlobalIntents()) is GlobalIntentName.REPEAT


def test_hints_hold_the_choice_phrases_then_the_global_phrases() -> None:
    hints = hints_for(TOPIC, DEMO.globals)
    phrases = [p for examples in TOPIC.choices.values() for p in examples]
    assert list(hints[: len(phrases)]) == phrases
    assert {"goodbye", "say that again"} <= set(hints)
    assert len(hints) == len(set(hints))


def test_yes_no_hints_hold_yes_and_no_phrases() -> None:
    hints = hints_for(ANYTHING_ELSE, DEMO.globals)
    assert {"yes", "yeah", "no", "no thanks", "that's right", "goodbye"} <= set(hints)
    assert "opening hours" not in hints
