"""Knowledge answers that never mislead: a business that is none of the shipped tenants,
set up with its own one-page document, asked what it answers and what it does not."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.flow import FlowMachine, ListSink, Say, TemplateContext, TenantInfo, parse_flow
from agent.flow.actions import Action
from agent.flow.events import KnowledgeAnswered
from agent.knowledge.checks import unknown_terms
from agent.knowledge.search import KnowledgeBase
from agent.tenants import load_tenant
from agent.tenants.knowledge import knowledge_for

pytestmark = pytest.mark.unit

TENANT = """\
name: Elm Road Physio
language: en-GB
timezone: Europe/London
country: GB
flow: general_receptionist
"""
DOCUMENT = """\
# Elm Road Physio

## Finding us

The practice is at 5 Elm Road, Leeds LS6 2AB, above the pharmacy.

## Treatments and prices

An initial assessment costs £55 and takes 45 minutes. A follow-up session costs £45.
A sports massage is £40 for 30 minutes.

## Our team

Sam Patel specialises in sports injuries and acupuncture. Jo Reed leads our pilates
classes on Tuesday and Thursday evenings.

## Paying

We take cash, debit cards and Apple Pay. Please pay at the end of each session.

## Cancellations

Please give 24 hours' notice to cancel a session; later cancellations are charged in full.

## Moving a session

You can move a session online or by phone, with 24 hours' notice, and no charge.
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("tenants") / "physio"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(TENANT)
    (folder / "knowledge" / "practice.md").write_text(DOCUMENT)
    return knowledge_for(load_tenant(folder.parent, "physio"))


def test_a_price_in_the_sentence_about_the_thing_is_said(kb: KnowledgeBase) -> None:
    result = kb.search("How much is a sports massage?")
    assert result.says(0.5) and "40 pounds" in result.answer


# Each of these was answered with a neighbouring passage, confidently (0.6 to 0.94),
# before the checks: the payment methods, the price list, the team.
@pytest.mark.parametrize(
    "question",
    [
        "Can I pay for a sports massage session with Bupa?",  # an insurer never mentioned
        "Can I pay for the session by Klarna at the end?",  # a payment brand never mentioned
    ],
)
def test_a_name_no_document_mentions_makes_the_answer_unknown(
    kb: KnowledgeBase, question: str
) -> None:
    result = kb.search(question)
    assert not result.says(0.5) and result.answer == ""
    assert "no document mentions" in result.withheld


@pytest.mark.parametrize(
    "question",
    [
        "How much is acupuncture with Sam Patel?",  # named as his speciality, never priced
        "What does Sam Patel charge for acupuncture?",
        "How much are the pilates classes on Tuesday?",
        "How much does acupuncture cost?",
    ],
)
def test_a_treatment_named_but_never_priced_has_no_price(kb: KnowledgeBase, question: str) -> None:
    result = kb.search(question)
    assert not result.says(0.5)
    assert result.withheld == "the passage about it gives no price"
    assert kb.search("How much notice do you need?").withheld == ""  # no price asked


def test_a_yes_no_question_needs_the_thing_it_names(kb: KnowledgeBase) -> None:
    result = kb.search("Do you do pilates?")
    assert result.says(0.5) and "Tuesday and Thursday" in result.answer
    assert not kb.search("Do you accept American Express?").says(0.5)


@pytest.mark.parametrize(
    "question", ["What's the address of the clinic?", "Where are you?", "Where's your office?"]
)
def test_the_callers_words_reach_the_documents_words(kb: KnowledgeBase, question: str) -> None:
    result = kb.search(question)
    assert result.says(0.5) and "5 Elm Road" in result.answer


def test_rare_words_the_documents_lack_are_unknown_common_ones_are_not(
    kb: KnowledgeBase,
) -> None:
    def unknown(question: str) -> list[str]:
        return unknown_terms(question, kb.parse(question), kb.index)

    assert unknown("Do you do veneers or Invisalign?") == ["veneers", "invisalign"]
    assert unknown("Where's your clinic, guys?") == []  # common words: left to confidence
    assert unknown("How much is an assessment?") == []


CLARIFYING_FLOW = """\
version: 1
id: t
start: faq
nodes:
  faq:
    kind: answer
    prompt: What would you like to know?
    followup: Anything else?
    unknown: Sorry, I don't know that. I can take a message for the team.
    done: bye
    on_low_confidence: bye
  bye: {kind: end, text: Goodbye.}
"""
CLOSE = "How much notice do you need?"  # to cancel, or to move a session?


def said(actions: Sequence[Action]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def machine(kb: KnowledgeBase) -> tuple[FlowMachine, ListSink]:
    sink = ListSink()
    now = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    ctx = TemplateContext(TenantInfo(name="Elm Road Physio", timezone="UTC"))
    flow = parse_flow(CLARIFYING_FLOW)
    return FlowMachine(flow, ctx, sink=sink, clock=lambda: now, knowledge=kb), sink


def test_two_close_topics_get_a_clarifying_question(kb: KnowledgeBase) -> None:
    result = kb.search(CLOSE)
    assert result.answer == "" and not result.says(0.5)
    assert [o.topic for o in result.options] == ["Cancellations", "Moving a session"]


@pytest.mark.parametrize(
    ("reply", "heard"),
    [("the first one", "charged in full"), ("moving a session", "no charge")],
)
def test_the_answer_node_asks_which_and_answers_the_one_picked(
    kb: KnowledgeBase, reply: str, heard: str
) -> None:
    call, sink = machine(kb)
    call.start()
    assert said(call.on_user_text(CLOSE)) == ("Do you mean cancellations or moving a session?")
    answer = said(call.on_user_text(reply))
    assert heard in answer and answer.endswith("Anything else?")
    assert call.state.current == "faq" and call.state.low_confidence == 0
    answered = [e for e in sink.events if isinstance(e, KnowledgeAnswered)]
    assert [(e.answered, e.source) for e in answered] == [(False, ""), (True, "practice.md")]


def test_another_reply_to_which_is_a_new_question(kb: KnowledgeBase) -> None:
    call, _ = machine(kb)
    call.start()
    call.on_user_text(CLOSE)
    assert "40 pounds" in said(call.on_user_text("how much is a sports massage"))


def test_an_unknown_answer_offers_what_the_flow_allows_never_a_neighbour(
    kb: KnowledgeBase,
) -> None:
    call, _ = machine(kb)
    call.start()
    reply = said(call.on_user_text("How much does acupuncture cost?"))
    assert reply.startswith("Sorry, I don't know that. I can take a message")
    assert "pounds" not in reply


def test_kb_search_says_why_an_answer_is_withheld(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "physio"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(TENANT)
    (folder / "knowledge" / "practice.md").write_text(DOCUMENT)
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_KB_EMBEDDINGS", "false")

    def search(question: str) -> dict[str, object]:
        result = CliRunner().invoke(app, ["kb", "search", "-t", "physio", question, "--json"])
        assert result.exit_code == 0, result.output
        found: dict[str, object] = json.loads(result.output)
        return found

    withheld = search("What does Sam Patel charge for acupuncture?")
    assert withheld["answers"] is False and withheld["answer"] == ""
    assert withheld["withheld"] == "the passage about it gives no price"
    which = search(CLOSE)
    options = which["options"]
    assert which["answers"] is False and isinstance(options, list)
    assert [o["topic"] for o in options] == ["Cancellations", "Moving a session"]
