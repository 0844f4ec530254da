"""Scenario files: the shipped ones pass, wrong ones fail with a diff, errors name file:line.

This is where the shipped scenarios (``flows/scenarios/**/*.yaml``) run in the test suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.authoring.coverage import coverage, flow_edges, merge_by_flow
from agent.authoring.scenario import (
    Scenario,
    ScenarioResult,
    Turn,
    load_scenario,
    parse_scenario,
    run_scenario,
)
from agent.config import ROOT
from agent.errors import ScenarioError

pytestmark = pytest.mark.unit

FLOWS = ROOT / "flows"
TENANTS = ROOT / "tenants"
SHIPPED = sorted((FLOWS / "scenarios").rglob("*.yaml"))

HOURS = """\
flow: demo_bakery
tenant: crumb-and-co
name: hours
clock: "2026-03-02T09:15:00"
turns:
  - expect: {node: topic, says: ["Good morning", "opening hours"]}
  - user: "uh the opening hours please"
    expect: {node: anything_else, says: ["Tuesday to Sunday"], slots: {topic: hours}}
  - user: "no thanks"
    expect: {ended: true, end_node: end}
expect_path: [greeting, topic, hours, anything_else, end]
"""

TINY_FLOW = """\
version: 1
id: tiny
start: hello
globals: {repeat: null}
nodes:
  hello: {kind: say, text: Hi., next: pick}
  pick:
    kind: ask
    prompt: Tea or coffee?
    slot: drink
    type: choice
    choices: {tea: [tea], coffee: [coffee]}
    max_retries: 0
    transitions:
      - {when: {slot_equals: tea}, to: bye}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: sorry}
  bye: {kind: end, text: Bye.}
  sorry: {kind: end, text: Sorry.}
"""


def run(path: Path, flows: Path = FLOWS, tenants: Path = TENANTS) -> ScenarioResult:
    return run_scenario(path, flows_dir=flows, tenants_dir=tenants)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_passes(path: Path) -> None:
    result = run(path)
    assert result.passed, result.report()
    assert result.report() == ""


def test_scenarios_are_shipped_and_cover_the_whole_demo_flow() -> None:
    assert len(SHIPPED) >= 8
    runs = (r for r in map(run, SHIPPED) if r.flow.id == "demo_bakery")
    (demo,) = merge_by_flow((r.flow, r.events) for r in runs)
    assert demo.flow_id == "demo_bakery"
    assert (demo.nodes_missed, demo.edges_missed) == ((), ())
    assert (len(demo.nodes), len(demo.edges)) == (8, 15)


def test_a_passing_run_records_turns_path_and_events(tmp_path: Path) -> None:
    result = run(write(tmp_path, HOURS))
    assert result.passed
    assert [t.label for t in result.turns] == [
        "opening",
        "user: 'uh the opening hours please'",
        "user: 'no thanks'",
    ]
    assert result.turns[0].said[0] == "Good morning, thanks for calling Crumb & Co."
    assert [t.line for t in result.turns] == [6, 7, 9]
    assert result.path == ("greeting", "topic", "hours", "anything_else", "end")
    assert result.events


def test_a_wrong_scenario_fails_with_a_diff(tmp_path: Path) -> None:
    wrong = HOURS.replace("Tuesday to Sunday", "Tuesday to Monday")
    path = write(tmp_path, wrong.replace("node: anything_else", "node: hours"))
    result = run(path)
    assert not result.passed
    assert [t.passed for t in result.turns] == [True, False]  # stops at the failing turn
    report = result.report()
    assert report.startswith(f"{path}:7: turn 2 (user: 'uh the opening hours please')")
    assert "says: 'Tuesday to Monday' not said" in report
    assert "    -Tuesday to Monday\n    +We're open Tuesday to Sunday, from seven" in report
    assert "expected node 'hours', but the flow is at 'anything_else'" in report
    assert "(1 later turn(s) not run)" in report


def test_a_wrong_path_fails_with_a_diff(tmp_path: Path) -> None:
    path = write(tmp_path, HOURS.replace("topic, hours, anything", "topic, specials, anything"))
    result = run(path)
    assert all(t.passed for t in result.turns) and not result.passed
    lines = result.report().splitlines()
    assert lines[0] == f"{path}:11: expect_path differs from the nodes entered"
    assert "   topic" in lines and "  -specials" in lines and "  +hours" in lines


def test_says_not_slots_and_end_checks_fail(tmp_path: Path) -> None:
    text = HOURS.replace("slots: {topic: hours}", 'slots: {topic: order}, says_not: ["Sunday"]')
    text = text.replace("end_node: end", "end_node: goodbye_no_input")
    first = run(write(tmp_path, text)).report()
    assert "says_not: 'Sunday' was said:\n    > We're open Tuesday to Sunday" in first
    assert "expected slot 'topic' = 'order', but it is 'hours'" in first
    fixed = text.replace("slots: {topic: order}", "slots: {topic: hours}").replace(
        ', says_not: ["Sunday"]', ""
    )
    last = run(write(tmp_path, fixed)).report()
    assert "expected the call to end at 'goodbye_no_input', but it ended at 'end'" in last
    assert "the agent said:\n    > Thank you for calling Crumb & Co. Goodbye!" in last


def test_a_turn_after_the_call_ended_fails(tmp_path: Path) -> None:
    text = HOURS.replace("expect_path: [greeting, topic, hours, anything_else, end]\n", "")
    result = run(write(tmp_path, text + '  - user: "hello?"\n'))
    assert result.turns[-1].failures == ("the call already ended at node 'end'",)


def test_a_model_runs_without_a_file() -> None:
    scenario = Scenario(
        flow="demo_bakery",
        tenant="crumb-and-co",
        name="in code",
        turns=(Turn(user="bye"),),
        expect_path=("greeting", "topic", "end"),
    )
    result = run_scenario(scenario, flows_dir=FLOWS, tenants_dir=TENANTS)
    assert result.passed and result.source == "<scenario>"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (HOURS.replace("    expect: {ended", "    expekt: {ended"), 10, "turns.2.expekt: unknown"),
        (HOURS.replace('  - user: "no thanks"\n', "  - silence: true\n"), 9, None),
        (HOURS.replace('- user: "no thanks"', '- silence: true\n    user: "no"'), 9, "not both"),
        (HOURS.replace('  - user: "no thanks"\n', "  -\n"), 10, "needs 'user' or 'silence'"),
        (HOURS.replace("turns:", "turns: []\nx:"), 5, "turns: "),
        (HOURS.replace("flow: demo_bakery", "flow: Demo Bakery"), 1, "flow: String should match"),
        (HOURS.replace('clock: "2026-03-02T09:15:00"', "clock: soon"), 4, "clock: "),
        (HOURS.replace("name: hours", "name: [hours"), 4, "invalid YAML"),
        ("- just a list\n", 1, "a scenario file is a mapping"),
    ],
)
def test_scenario_file_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str | None
) -> None:
    path = write(tmp_path, text)
    if message is None:  # a valid variation, loaded to prove the others fail for their reason
        load_scenario(path)
        return
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_scenario_text_errors_name_their_source() -> None:
    assert parse_scenario(HOURS, source="inline").name == "hours"
    with pytest.raises(ScenarioError, match=r"^inline:3: name: String should have at least"):
        parse_scenario(HOURS.replace("name: hours", 'name: ""'), source="inline")
    with pytest.raises(ScenarioError, match=r"nope.yaml: scenario file not found$"):
        load_scenario(FLOWS / "nope.yaml")


def test_an_unknown_tenant_or_flow_names_the_scenario_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r":2: tenant: unknown tenant 'nobody'"):
        run(write(tmp_path, HOURS.replace("tenant: crumb-and-co", "tenant: nobody")))
    with pytest.raises(ScenarioError, match=r":1: flow: .*flow file not found"):
        run(write(tmp_path, HOURS.replace("flow: demo_bakery", "flow: no_such_flow")))


def test_coverage_of_a_small_flow(tmp_path: Path) -> None:
    flows, tenants = tmp_path / "flows", tmp_path / "tenants"
    flows.mkdir()
    shutil.copytree(TENANTS, tenants)
    (flows / "tiny.yaml").write_text(TINY_FLOW, encoding="utf-8")
    head = "flow: tiny\ntenant: crumb-and-co\nname: {}\nturns:\n  - user: {}\n"
    tea = run(write(tmp_path, head.format("tea", "tea"), "tea.yaml"), flows, tenants)
    assert tea.passed

    (cover,) = merge_by_flow([(tea.flow, tea.events)])
    assert (len(cover.nodes_hit), len(cover.nodes)) == (3, 4)
    assert cover.nodes_missed == ("sorry",)
    assert [str(e) for e in flow_edges(tea.flow)] == [
        "hello -> pick (next)",
        "pick -> bye (matched)",  # tea, and 'always', are one edge: events cannot tell them apart
        "pick -> sorry (retries_exhausted)",
    ]
    assert [str(e) for e in cover.edges_missed] == ["pick -> sorry (retries_exhausted)"]

    mumble = run(write(tmp_path, head.format("mumble", "mumble"), "mumble.yaml"), flows, tenants)
    both = coverage(tea.flow, [*tea.events, *mumble.events])
    assert (both.nodes_missed, both.edges_missed, len(both.edges_hit)) == ((), (), 3)
