"""Answers composed for voice: the relevant sentences, no markdown, natural numbers."""

from __future__ import annotations

import pytest

from agent.knowledge.speech import compose_answer, speakable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("**Sourdough loaf** – £4.80", "Sourdough loaf, 4 pounds 80."),
        ("A croissant is £0.80, a cake £1.", "A croissant is 80 pence, a cake 1 pound."),
        ("Big cakes £1,250.00 and up", "Big cakes 1250 pounds and up."),
        ("Delivery $5.00 (free over $40)", "Delivery 5 dollars, free over 40 dollars."),
        ("Mon–Fri: 07:30–18:00", "Monday to Friday: 7:30 a.m. to 6 p.m."),
        ("Sat 8am-4pm, Sun closed", "Saturday 8 a.m. to 4 p.m., Sunday closed."),
        ("Open until 12:00 and from 00:00", "Open until noon and from midnight."),
        ("The sun is out", "The sun is out."),
        (
            "See [our site](https://x.example/a) or https://www.y.example/b",
            "See our site or y.example.",
        ),
        ("Cakes £30–£45, call us", "Cakes 30 pounds to 45 pounds, call us."),
        ("# Hours & prices: 100% rye", "Hours and prices: 100 percent rye."),
    ],
)
def test_speakable(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


def test_answer_is_the_sentence_that_answers() -> None:
    text = (
        "We bake every morning from 5am in the kitchen behind the shop. Our sourdough loaf "
        "costs £4.80 and keeps for three days. Cafes and restaurants can ask us about our "
        "wholesale price list."
    )
    answer = compose_answer(text, "how much is the sourdough?")
    assert answer.startswith("Our sourdough loaf costs 4 pounds 80")
    assert "wholesale" not in answer


def test_long_answer_is_cut_at_a_sentence() -> None:
    text = " ".join(f"Sentence {i} about cakes and more cakes and bread here." for i in range(20))
    answer = compose_answer(text, "cakes", max_words=20)
    assert len(answer.split()) <= 20
    assert answer.endswith(".")


def test_short_passage_is_said_whole() -> None:
    text = "Baguette – £2.10. Baked three times a day, at 7am, 11am and 3pm."
    assert compose_answer(text, "when are baguettes fresh?") == (
        "Baguette, 2 pounds 10. Baked three times a day, at 7 a.m., 11 a.m. and 3 p.m."
    )


def test_nothing_to_say() -> None:
    assert compose_answer("", "anything") == ""
