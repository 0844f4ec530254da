"""What a new business met when it set itself up from the README (issue 18), each kept
fixed by a test: a small clinic in New York, answering with the shipped ``receptionist``
flow and its own documents, written here into a temporary tenants folder.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from agent.authoring.cli import default_scenario_dirs
from agent.authoring.scenario import run_scenario
from agent.cli import app
from agent.config import ROOT, load_settings
from agent.flow.events import ListSink
from agent.flow.load import load_flow_by_id, parse_flow
from agent.flow.machine import FlowMachine, Say
from agent.knowledge.ingest import document_problems
from agent.knowledge.sentences import split_sentences
from agent.knowledge.speech import compose_answer
from agent.session import prepare_call
from agent.tenants import load_tenant
from agent.tenants.check import check_tenants
from agent.tenants.context import template_context
from agent.tenants.knowledge import knowledge_for

pytestmark = pytest.mark.unit

NEW_YORK = ZoneInfo("America/New_York")
CLINIC = """\
name: Brightside Dental
timezone: America/New_York
hours:
  mon: "08:00-17:00"
  tue: "08:00-17:00"
  wed: "08:00-17:00"
  thu: "08:00-17:00"
  fri: "08:00-17:00"
  sat: "09:00-12:00"
greeting: "Thank you for calling Brightside Dental, how may I help you today?"
flow: receptionist
"""
DOCUMENT = """\
# Brightside Dental

## Our team

Our team: Dr. A. Rivera, our lead dentist, and Dr. B. Chen, who sees children and
nervous patients. Both dentists work Monday to Friday, and Dr. Chen also covers the
Saturday emergency clinic.

## Emergencies

If you chip or crack a tooth, rinse with warm water and call our emergency line on
555-0142 straight away.

## Parking

There is free parking for patients behind the building on Elm Street.
"""


def clinic(tmp_path: Path, body: str = CLINIC, docs: dict[str, str] | None = None) -> Path:
    """A tenants folder holding the clinic (id ``clinic``)."""
    folder = tmp_path / "tenants" / "clinic"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text(body)
    for name, text in (docs if docs is not None else {"practice.md": DOCUMENT}).items():
        (folder / "knowledge" / name).write_text(text)
    return tmp_path / "tenants"


def call(tenants: Path, flow_id: str = "receptionist", at: datetime | None = None) -> FlowMachine:
    tenant = load_tenant(tenants, "clinic")
    now = at or datetime(2026, 3, 3, 10, 0, tzinfo=NEW_YORK)  # a Tuesday morning
    return FlowMachine(
        load_flow_by_id(ROOT / "flows", flow_id),
        template_context(tenant),
        sink=ListSink(),
        clock=lambda: now,
        knowledge=knowledge_for(tenant),
    )


def said(actions: list[object]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def test_the_tenants_greeting_is_spoken(tmp_path: Path) -> None:
    machine = call(clinic(tmp_path))
    opening = said(machine.start())
    assert opening.startswith("Thank you for calling Brightside Dental, how may I help you today?")


def test_a_us_callers_number_is_read_back_with_the_tenants_country(tmp_path: Path) -> None:
    machine = call(clinic(tmp_path))
    machine.start()
    for line in ("book a table", "four", "saturday at eleven in the morning", "peter smith"):
        machine.on_user_text(line)
    read_back = said(machine.on_user_text("two one two five five five zero one four two"))
    assert machine.state.slots["phone"] == "+12125550142"
    assert "2 1 2, 5 5 5, 0 1 4 2" in read_back
    assert "plus 4 4" not in read_back


def test_an_ask_may_still_fix_its_own_country(tmp_path: Path) -> None:
    text = (ROOT / "flows" / "receptionist.yaml").read_text()
    own = text.replace("    slot: phone\n    type: phone\n", "    slot: phone\n    type: phone\n"
                       "    default_country_code: \"44\"\n", 1)  # fmt: skip
    tenant = load_tenant(clinic(tmp_path), "clinic")
    machine = FlowMachine(
        parse_flow(own, source="receptionist.yaml"),
        template_context(tenant),
        clock=lambda: datetime(2026, 3, 3, 10, 0, tzinfo=NEW_YORK),
        knowledge=knowledge_for(tenant),
    )
    machine.start()
    for line in ("I'd like to order a cake", "a carrot cake", "saturday at ten", "Ann Lee"):
        machine.on_user_text(line)
    read_back = said(machine.on_user_text("oh seven seven zero zero nine zero zero one two three"))
    assert machine.state.slots["phone"] == "+447700900123"
    assert "0 7 7 0 0, 9 0 0, 1 2 3" in read_back  # as the ask's country writes it


def test_a_spoken_answer_is_not_cut_at_titles_and_initials() -> None:
    passage = re.sub(
        r"\s+", " ", DOCUMENT.split("## Our team")[1].split("##", maxsplit=1)[0]
    ).strip()
    answer = compose_answer(passage, "does a dentist work on saturday")
    assert "Dr. B. Chen, who sees children" in answer
    assert "Dr. Chen also covers the Saturday emergency clinic" in answer
    assert not re.search(r"\bDr\.$", answer)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Dr. A. Rivera sees adults. Dr. B. Chen sees children.",
         ["Dr. A. Rivera sees adults.", "Dr. B. Chen sees children."]),
        ("A cleaning is $95.50 and takes 1.5 hours. A filling is $180.",
         ["A cleaning is $95.50 and takes 1.5 hours.", "A filling is $180."]),
        ("We open at 8:30 a.m. Monday to Friday. On Saturday we open at 9 a.m. for emergencies.",
         ["We open at 8:30 a.m. Monday to Friday.",
          "On Saturday we open at 9 a.m. for emergencies."]),
        ("The phones are answered until 6 p.m. ET. Leave a message after that.",
         ["The phones are answered until 6 p.m. ET.", "Leave a message after that."]),
        ("The office is 2.5 mi. from the ferry. Parking is free.",
         ["The office is 2.5 mi. from the ferry.", "Parking is free."]),
        ("We close at 5 p.m. On Fridays we close at 4 p.m.",
         ["We close at 5 p.m.", "On Fridays we close at 4 p.m."]),
    ],
)  # fmt: skip
def test_sentences_end_where_they_end_not_at_titles_decimals_or_times(
    text: str, sentences: list[str]
) -> None:
    assert list(split_sentences(text)) == sentences


def test_a_spoken_answer_keeps_the_days_after_a_time() -> None:
    passage = (
        "Our front desk answers the phone from 8:30 a.m. Monday to Friday, and from 9 a.m. "
        "Saturday for emergencies only. We are at 12 St. Mark's Place, two blocks from the "
        "6 train, and there is free parking behind the building for all our patients."
    )
    answer = compose_answer(passage, "when does the front desk answer the phone on saturday")
    assert "8:30 a.m. Monday to Friday, and from 9 a.m. Saturday" in answer, answer


def test_a_phone_number_in_a_document_is_spoken_as_a_number(tmp_path: Path) -> None:
    kb = knowledge_for(load_tenant(clinic(tmp_path), "clinic"))
    answer = kb.search("I chipped my tooth, what should I do?").answer
    assert "5 5 5, 0 1 4 2" in answer
    assert " to 0142" not in answer


@pytest.mark.parametrize(
    "question",
    [
        "I chipped a tooth, what do I do?",
        "Can I park nearby?",
        "Should I bring anything to my first visit?",
        "I need to know if you take my insurance",
    ],
)
def test_a_question_at_the_menu_goes_to_the_knowledge_base(tmp_path: Path, question: str) -> None:
    machine = call(clinic(tmp_path))
    machine.start()
    reply = said(machine.on_user_text(question))
    assert machine.state.current == "questions", reply
    assert "would you like to place an order, book a table" not in reply


@pytest.mark.parametrize(
    ("docs", "named"),
    [({}, "no documents"), ({"practice.rtf": r"{\rtf1 Open 9-5}"}, "practice.rtf")],
)
def test_tenant_check_fails_a_knowledge_folder_with_nothing_readable(
    tmp_path: Path, docs: dict[str, str], named: str
) -> None:
    tenants = clinic(tmp_path, docs=docs)
    problems = check_tenants(tenants, ROOT / "flows", knowledge=document_problems)["clinic"]
    assert any(named in p for p in problems), problems


def test_kb_build_fails_on_no_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(clinic(tmp_path, docs={"notes.rtf": "x"})))
    result = CliRunner().invoke(app, ["kb", "build", "--tenant", "clinic"])
    assert result.exit_code == 1, result.output
    assert "0 chunks" in result.output and "notes.rtf" in result.output


def test_kb_search_json_has_the_confidence_and_the_spoken_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(clinic(tmp_path)))
    result = CliRunner().invoke(
        app, ["kb", "search", "--tenant", "clinic", "--json", "is there parking?"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert 0.5 <= found["confidence"] <= 1 and found["answers"] is True
    assert "free parking for patients" in found["answer"]
    assert found["passages"][0]["source"] == "practice.md"


def test_the_readme_says_the_analyzer_prompt_is_required_with_call_types() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert re.search(r"prompts/analyzer\.txt[^.]*required[^.]*call types", readme)


def test_hours_say_emergencies_only_and_close_on_public_holidays(tmp_path: Path) -> None:
    body = CLINIC.replace(
        '  sat: "09:00-12:00"\n',
        '  sat: {open: "09:00-12:00", note: "emergencies only", appointments: false}\n'
        "  holidays: {only: [Thanksgiving Day, Christmas Day]}\n",
    )
    tenants = clinic(tmp_path, body)
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)  # the day before Thanksgiving
    for when, heard in [
        ("saturday at ten in the morning", "on Saturdays we're open from 9 a.m. to noon, "
         "emergencies only"),
        ("thursday at ten in the morning", "closed tomorrow, for Thanksgiving Day"),
    ]:  # fmt: skip
        machine = call(tenants, at=wednesday)
        machine.start()
        machine.on_user_text("book a table")
        machine.on_user_text("four")
        reply = said(machine.on_user_text(when))
        assert heard in reply, reply
        assert machine.state.current == "booking_when"


def test_a_tenant_keeps_its_own_flows(tmp_path: Path) -> None:
    tenants = clinic(tmp_path, CLINIC.replace("flow: receptionist", "flow: clinic_line"))
    own = tenants / "clinic" / "flows"
    own.mkdir()
    text = (ROOT / "flows" / "receptionist.yaml").read_text()
    (own / "clinic_line.yaml").write_text(text.replace("id: receptionist", "id: clinic_line"))
    assert check_tenants(tenants, ROOT / "flows", knowledge=document_problems) == {"clinic": []}
    settings = load_settings(check_keys=False).model_copy(
        update={"tenants_dir": tenants, "flows_dir": ROOT / "flows"}
    )
    assert prepare_call(settings, '{"tenant": "clinic"}').flow.id == "clinic_line"  # a call
    scenario = own / "scenarios" / "clinic_line" / "greeting.yaml"
    scenario.parent.mkdir(parents=True)
    scenario.write_text(
        "flow: clinic_line\ntenant: clinic\nname: greets\nturns:\n"
        "  - expect: {says: ['Thank you for calling Brightside Dental']}\n"
    )
    assert own / "scenarios" in default_scenario_dirs(settings)  # `flow test` runs it
    assert run_scenario(scenario, flows_dir=ROOT / "flows", tenants_dir=tenants).passed
    shutil.rmtree(own)
    problems = check_tenants(tenants, ROOT / "flows")["clinic"]
    assert "clinic_line" in problems[0] and str(own) in problems[0]
