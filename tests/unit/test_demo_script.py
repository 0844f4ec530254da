"""The demo caller's scripts: each line knows the question it answers, and a caller whose
line was misheard says it again when the agent asks again, as a person on the phone does.

The flows' own wording is the reference: the lines are played against the real flow
machine in text mode, with chosen attempts misheard.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.authoring.scenario import knowledge_for_flow
from agent.config import ROOT
from agent.demo.report import DemoReport, Turn
from agent.demo.script import MAX_REPEATS, SCRIPTS, Line, ScriptCursor
from agent.flow.actions import Say
from agent.flow.load import load_flow_by_id
from agent.flow.machine import FlowMachine
from agent.flow.model import AskNode
from agent.tenants.context import template_context
from agent.tenants.load import load_tenant

pytestmark = pytest.mark.unit

TENANTS = {"general_receptionist": "hudson-dental"}  # else the bakery, crumb-and-co
MISHEARD = "um the"  # what a garbled line becomes: no answer any node takes


def _machine(flow_id: str, now: datetime | None = None) -> FlowMachine:
    tenant = load_tenant(ROOT / "tenants", TENANTS.get(flow_id, "crumb-and-co"))
    flow = load_flow_by_id(ROOT / "flows", flow_id)
    at = now or datetime(2026, 11, 20, 10)
    now = at.replace(tzinfo=tenant.tz)
    return FlowMachine(
        flow,
        template_context(tenant),
        clock=lambda: now,
        **knowledge_for_flow(flow, tenant),
    )


def _talk(
    flow_id: str, misheard: set[int], now: datetime | None = None
) -> tuple[FlowMachine, list[str]]:
    """Play ``flow_id``'s script; the caller's attempts numbered in ``misheard`` (0-based,
    counting every attempt) reach the flow garbled. Returns the machine and what was said."""
    machine = _machine(flow_id, now)
    cursor = ScriptCursor(SCRIPTS[flow_id])
    machine.start()
    said: list[str] = []
    attempt = 0
    while cursor.line is not None and not machine.state.ended:
        said.append(cursor.text)
        actions = machine.on_user_text(MISHEARD if attempt in misheard else cursor.text)
        attempt += 1
        cursor.heard(" ".join(a.text for a in actions if isinstance(a, Say)))
    return machine, said


@pytest.mark.parametrize("flow_id", sorted(SCRIPTS))
def test_each_line_recognizes_its_question_and_not_the_next_one(flow_id: str) -> None:
    flow = load_flow_by_id(ROOT / "flows", flow_id)
    script = SCRIPTS[flow_id]
    for line, following in zip(script, [*script[1:], None], strict=True):
        node = flow.nodes[line.node]
        assert isinstance(node, AskNode), line
        asked_again = (node.another_time,) if node.business_hours else ()
        for question in (node.prompt, *node.reprompts, *asked_again):
            assert line.is_asked(question), (line.text, question)
            if following is not None and following.node != line.node:
                assert not following.is_asked(question), (following.text, question)


@pytest.mark.parametrize("flow_id", sorted(SCRIPTS))
def test_a_clean_call_says_each_line_once_and_ends(flow_id: str) -> None:
    machine, said = _talk(flow_id, misheard=set())
    assert said == [line.text for line in SCRIPTS[flow_id]]
    assert machine.state.ended


@pytest.mark.parametrize("flow_id", sorted(SCRIPTS))
def test_every_line_misheard_once_is_said_again_and_the_call_still_ends(flow_id: str) -> None:
    script = SCRIPTS[flow_id]
    for n, line in enumerate(script):
        misheard = {n}  # before line n, every line took one attempt
        machine, said = _talk(flow_id, misheard)
        assert said == [
            *(x.text for x in script[: n + 1]),
            line.text,
            *(x.text for x in script[n + 1 :]),
        ], (line, said)
        assert machine.state.ended, (line, machine.state.path)


def test_the_booking_is_made_with_every_slot_after_two_misheard_lines() -> None:
    machine, said = _talk("receptionist", misheard={1, 5})  # "four", then the name
    assert len(said) == len(SCRIPTS["receptionist"]) + 2
    assert machine.state.path[-1] == "booking_made"
    slots = machine.state.slots
    assert (slots["party_size"], slots["name"], slots["phone"]) == (
        "4",
        "Peter Smith",
        "+442094601234",
    )


def test_the_clinic_caller_offers_another_day_when_the_practice_is_closed() -> None:
    """Christmas 2029 is a Tuesday: "tuesday at ten" is refused (closed), so the caller
    offers Wednesday; a misheard line is still said again as it was."""
    christmas_week = datetime(2029, 12, 21, 10)  # a Friday; the next Tuesday is the 25th
    machine, said = _talk("general_receptionist", misheard={2}, now=christmas_week)
    assert said[2:5] == [
        "tuesday at ten in the morning",  # misheard: said again
        "tuesday at ten in the morning",  # refused: Christmas Day
        "wednesday at ten in the morning",
    ]
    assert machine.state.path[-1] == "appointment_booked"
    assert machine.state.slots["appointment_at"] == "2029-12-26T10:00:00-05:00"
    assert machine.state.slots["phone"] == "+12125550142"


def test_a_line_is_said_at_most_three_times() -> None:
    cursor = ScriptCursor((Line("four", r"how many", "n"), Line("yes", r"right\?", "m")))
    for _ in range(MAX_REPEATS):
        cursor.heard("Sorry, how many people?")
        assert cursor.line is not None and cursor.line.text == "four"
    cursor.heard("Sorry, how many people?")
    assert cursor.line is not None and cursor.line.text == "yes"
    cursor.heard("")  # no transcript of the reply: go on
    assert cursor.line is None


def test_a_reply_that_asks_the_next_question_moves_on_even_if_it_also_asks_this_one() -> None:
    cursor = ScriptCursor((Line("peter", r"name", "n"), Line("zero two", r"number", "m")))
    cursor.heard("Thanks, the name is noted. And your number?")
    assert cursor.line is not None and cursor.line.text == "zero two"


def test_the_report_judges_each_line_by_its_last_attempt() -> None:
    def caller(understood: bool, repeat: int = 0) -> Turn:
        return Turn("caller", "four", "four" if understood else "bullard", 1.0, 500.0,
                    understood=understood, repeat=repeat)  # fmt: skip

    agent = Turn("agent", "How many?", "how many", 0.0, understood=True)
    report = DemoReport(
        room="r", hung_up=True, turns=[agent, caller(False), agent, caller(True, 1)]
    )
    assert report.ok
    assert report.to_json()["caller_lines_said_again"] == 1
    assert report.to_json()["caller_turns_understood"] == 1  # the miss is still counted
    report.turns[-1] = caller(False, 1)
    assert not report.ok
    report.turns = [agent, caller(False), agent, caller(True)]  # a new line, not a repeat
    assert not report.ok
