"""Graph checks of loaded flows (agent.authoring.check), and ``frontdesk flow check`` on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.authoring.check import Finding, FlowGraph, check_flow, source_lines, unguarded_paths
from agent.authoring.coverage import Edge
from agent.cli import app
from agent.config import ROOT
from agent.flow import load_flow

pytestmark = pytest.mark.unit

UNREACHABLE = """\
version: 1
id: unreachable
start: hello
nodes:
  hello:
    kind: say
    text: Hi.
    next: bye
  orphan:
    kind: say
    text: Never said.
    next: bye
  bye:
    kind: end
    text: Bye.
"""

TRAP = """\
version: 1
id: trap
start: first
nodes:
  first:
    kind: ask
    prompt: Yes or no?
    slot: first
    type: yes_no
    transitions:
      - {when: always, to: second}
      - {when: retries_exhausted, to: second}
  second:
    kind: ask
    prompt: And now?
    slot: second
    type: yes_no
    transitions:
      - {when: always, to: first}
      - {when: retries_exhausted, to: first}
"""

SIZE_ASK = """\
version: 1
id: {id}
start: size
globals:
  goodbye: {{to: bye}}
nodes:
  size:
    kind: ask
    prompt: Small or large?
    slot: size
    type: choice
    choices:
      small: [small]
      large: [large]
    transitions:
      - {{when: always, to: {next}}}
      - {{when: retries_exhausted, to: {give_up}}}
  bye:
    kind: end
    text: Bye.
"""

TEMPLATE_READ = (
    SIZE_ASK.format(id="template_read", next="confirm", give_up="confirm")
    + """\
  confirm:
    kind: say
    text: |
      Thanks.
      A {{ slots.size }} one, then.
    next: bye
"""
)

CONDITION_READ = (
    SIZE_ASK.format(id="condition_read", next="extra", give_up="extra")
    + """\
  extra:
    kind: ask
    prompt: Anything else?
    slot: extra
    type: yes_no
    transitions:
      - {when: {slot: size, equals: large}, to: bye}
      - {when: {slot: extra, equals: "yes"}, to: size}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
"""
)


def line_of(text: str, part: str) -> int:
    """The 1-based line of ``text`` where ``part`` first appears."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if part in line)


def checked(tmp_path: Path, text: str) -> list[Finding]:
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    return check_flow(load_flow(path), source_lines(path))


def test_an_unreachable_node_is_a_warning(tmp_path: Path) -> None:
    assert checked(tmp_path, UNREACHABLE) == [
        Finding(
            "warning",
            "orphan",
            "nodes.orphan: unreachable from the start node 'hello'",
            line_of(UNREACHABLE, "orphan:"),
        )
    ]


def test_a_node_that_cannot_reach_an_end_is_an_error(tmp_path: Path) -> None:
    message = "no end node can be reached from here (it only leads to first, second)"
    assert checked(tmp_path, TRAP) == [
        Finding("error", "first", f"nodes.first: {message}", line_of(TRAP, "first:")),
        Finding("error", "second", f"nodes.second: {message}", line_of(TRAP, "second:")),
    ]


def test_a_template_reading_a_slot_some_path_skips_is_an_error(tmp_path: Path) -> None:
    (finding,) = checked(tmp_path, TEMPLATE_READ)
    assert finding == Finding(
        "error",
        "confirm",
        "nodes.confirm.text: reads slot 'size' before any ask can have set it "
        "(path: size -> confirm)",  # giving up at size goes on without a size
        line_of(TEMPLATE_READ, "{{ slots.size }}"),  # the template's own line
    )


def test_a_slot_set_on_every_way_in_may_be_read(tmp_path: Path) -> None:
    # giving up ends the call, and the loop back to the ask keeps size set
    flow = TEMPLATE_READ.replace("retries_exhausted, to: confirm", "retries_exhausted, to: bye")
    flow = flow.replace("next: bye\n", "next: size\n")
    assert checked(tmp_path, flow) == []


@pytest.mark.parametrize(
    "condition",
    ["{slot: size, equals: large}", """{if: "slots.size == 'large' and slots.extra == 'yes'"}"""],
)
def test_a_condition_reading_a_slot_some_path_skips_is_a_warning(
    tmp_path: Path, condition: str
) -> None:
    # extra's own slot is filled before its conditions are tried: reading it is fine
    flow = CONDITION_READ.replace("{slot: size, equals: large}", condition)
    assert checked(tmp_path, flow) == [
        Finding(
            "warning",
            "extra",
            "nodes.extra.transitions.0.when: reads slot 'size', which some path leaves unset "
            "(path: size -> extra): there it is null, so comparisons with it are false "
            "(test 'slots.size == null' if that is meant)",
            line_of(flow, condition),
        )
    ]


def test_findings_without_a_file_have_no_line(tmp_path: Path) -> None:
    path = tmp_path / "unreachable.yaml"
    path.write_text(UNREACHABLE, encoding="utf-8")
    (finding,) = check_flow(load_flow(path))
    assert finding.line is None
    assert finding.format("x.yaml") == (
        "x.yaml: warning: nodes.orphan: unreachable from the start node 'hello'"
    )


def test_the_shipped_flow_has_no_findings() -> None:
    demo = ROOT / "flows" / "demo_bakery.yaml"
    assert check_flow(load_flow(demo), source_lines(demo)) == []


# --- must pass a gate before a guarded node ---------------------------------------------


def graph(*edges: tuple[str, str]) -> FlowGraph:
    nodes = dict.fromkeys(node for edge in edges for node in edge)
    return FlowGraph.of("start", nodes, [Edge(a, b, "next") for a, b in edges])


def test_a_path_around_the_gate_is_found() -> None:
    around = graph(("start", "gate"), ("gate", "pay"), ("start", "chat"), ("chat", "pay"))
    found = unguarded_paths(around, gates={"gate"}, guarded=["pay"])
    assert found == {"pay": ("start", "chat", "pay")}


def test_every_path_through_the_gate_passes() -> None:
    through = graph(("start", "chat"), ("chat", "gate"), ("gate", "pay"), ("pay", "chat"))
    assert unguarded_paths(through, gates={"gate"}, guarded=["pay", "gate"]) == {}
    assert unguarded_paths(through, gates=set(), guarded=["pay"]) == {
        "pay": ("start", "chat", "gate", "pay")
    }


# --- frontdesk flow check ---------------------------------------------------------------


def run_check(tmp_path: Path, text: str, flow_id: str) -> tuple[int, list[str], Path]:
    path = tmp_path / f"{flow_id}.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["flow", "check", str(path)])
    return result.exit_code, result.output.splitlines(), path


def test_cli_exits_1_on_an_error(tmp_path: Path) -> None:
    code, lines, path = run_check(tmp_path, TEMPLATE_READ, "template_read")
    assert code == 1
    line = line_of(TEMPLATE_READ, "{{ slots.size }}")
    assert lines == [
        f"{path}:{line}: error: nodes.confirm.text: reads slot 'size' before any ask can "
        "have set it (path: size -> confirm)",
        "1 flow(s) checked: 0 ok, 1 with errors, 0 warnings",
    ]


def test_cli_exits_0_on_warnings_only(tmp_path: Path) -> None:
    code, lines, path = run_check(tmp_path, UNREACHABLE, "unreachable")
    assert code == 0
    assert lines == [
        f"{path}:9: warning: nodes.orphan: unreachable from the start node 'hello'",
        f"ok  {path}",
        "1 flow(s) checked: 1 ok, 0 with errors, 1 warnings",
    ]
