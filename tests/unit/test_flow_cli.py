"""``frontdesk flow``: check, test, chat and render, through the real typer app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agent.cli import app
from agent.config import ROOT
from agent.flow import load_flow

pytestmark = pytest.mark.unit

DEMO = ROOT / "flows" / "demo_bakery.yaml"
BROKEN = """\
version: 1
id: broken
start: hello
nodes:
  hello:
    kind: say
    text: Hello there
    next: goodby
  goodbye:
    kind: end
    text: Bye.
"""


@pytest.fixture(autouse=True)
def _in_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths are shown relative to the working directory


def flow(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["flow", *args], input=stdin, env=env)


@pytest.fixture
def content(tmp_path: Path) -> dict[str, str]:
    """A copy of the shipped flows and tenants, as the environment that points at it."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    return {
        "FRONTDESK_FLOWS_DIR": str(tmp_path / "flows"),
        "FRONTDESK_TENANTS_DIR": str(tmp_path / "tenants"),
    }


def test_check_passes_the_shipped_flow() -> None:
    result = flow("check", str(DEMO))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ok  flows/demo_bakery.yaml",
        "1 flow(s) checked: 1 ok, 0 with errors, 0 warnings",
    ]


def test_check_catches_a_broken_flow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = flow("check", str(DEMO), str(broken))
    assert result.exit_code == 1
    assert f"{broken}:8: nodes.hello.next: unknown node 'goodby' (did you mean 'goodbye'?)" in (
        result.output
    )
    assert result.output.endswith("2 flow(s) checked: 1 ok, 1 with errors, 0 warnings\n")


def test_check_wants_the_file_named_after_the_flow_id(tmp_path: Path) -> None:
    misnamed = tmp_path / "other.yaml"
    misnamed.write_text(BROKEN.replace("goodby\n", "goodbye\n"), encoding="utf-8")
    result = flow("check", str(tmp_path))
    assert result.exit_code == 1
    assert f"{misnamed}:2: id: the file declares id 'broken'" in result.output


def test_test_runs_every_shipped_scenario() -> None:
    result = flow("test")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "flows/scenarios/demo_bakery/hours.yaml::asks for hours then hangs up PASSED" in lines
    shipped = list((ROOT / "flows/scenarios").rglob("*.yaml"))
    assert lines[-1].startswith(f"{len(shipped)} passed, 0 failed in ")


def test_test_reports_a_failure_with_a_diff(content: dict[str, str], tmp_path: Path) -> None:
    shipped = (ROOT / "flows/scenarios/demo_bakery/hours.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(shipped.replace("Tuesday to Sunday", "Monday to Friday"), encoding="utf-8")
    result = flow("test", str(wrong), str(tmp_path / "nope.yaml"), env=content)
    assert result.exit_code == 1
    assert f"{wrong}::asks for hours then hangs up FAILED" in result.output
    assert "says: 'Monday to Friday' not said" in result.output
    assert "    -Monday to Friday\n    +We're open Tuesday to Sunday" in result.output
    assert "     Is there anything else I can help you with?" in result.output  # matched: context
    assert f"{tmp_path / 'nope.yaml'} ERROR" in result.output
    assert result.output.splitlines()[-1].startswith("0 passed, 1 failed, 1 errors in ")


def test_test_coverage_lists_what_was_never_reached(content: dict[str, str]) -> None:
    scenarios = Path(content["FRONTDESK_FLOWS_DIR"]) / "scenarios/demo_bakery"
    result = flow("test", "--coverage", str(scenarios / "hours.yaml"), env=content)
    assert result.exit_code == 0, result.output
    assert "demo_bakery: nodes 5/8, edges 4/15" in result.output
    assert "  nodes never reached: specials, order, goodbye_no_input" in result.output
    assert "  edge never taken: topic -> end (global_intent)" in result.output
    assert "  edge never taken: greeting -> topic (next)" not in result.output


def test_test_coverage_of_the_shipped_scenarios_is_complete() -> None:
    result = flow("test", "--coverage")
    assert "demo_bakery: nodes 8/8, edges 15/15" in result.output
    assert "never reached" not in result.output and "never taken" not in result.output


def test_chat_with_piped_input_reaches_the_end() -> None:
    result = flow("chat", "demo_bakery", "--tenant", "crumb-and-co", stdin="hours\nno\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "agent> We're open Tuesday to Sunday, from seven in the morning until six in the evening."
        in lines
    )
    assert "   [node: anything_else | slots: topic=hours]" in lines
    assert "you> no" in lines
    assert lines[-2:] == [
        "   [node: end | slots: topic=hours, anything_else=no]",
        "(the call ended at node 'end')",
    ]


def test_chat_silence_quit_and_end_of_input() -> None:
    silent = flow("chat", "demo_bakery", stdin="/silence\n/nope\n/silence\n")
    assert "commands: /silence (the caller says nothing), /quit" in silent.output
    assert silent.output.endswith("(the call ended at node 'goodbye_no_input')\n")
    quit_ = flow("chat", str(DEMO), stdin="/quit\n")
    assert quit_.exit_code == 0 and "ended" not in quit_.output
    eof = flow("chat", "demo_bakery", stdin="specials\n")
    assert eof.exit_code == 0 and eof.output.endswith("(end of input)\n")


def test_chat_with_an_unknown_tenant_fails() -> None:
    result = flow("chat", "demo_bakery", "--tenant", "nobody", stdin="")
    assert result.exit_code == 1
    assert "frontdesk flow chat: unknown tenant 'nobody'" in result.output


def test_render_emits_mermaid_with_every_node() -> None:
    result = flow("render", "demo_bakery")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart TD\n")
    for node_id in load_flow(DEMO).nodes:
        assert f"n_{node_id}" in result.output and f'"{node_id}<br/>' in result.output
    assert 'n_topic -->|"topic = hours"| n_hours' in result.output
    assert 'n_topic -.->|"goodbye (global)"| n_end' in result.output


def test_render_writes_mermaid_and_dot_files(tmp_path: Path) -> None:
    mmd, dot = tmp_path / "demo.mmd", tmp_path / "demo.dot"
    assert flow("render", "demo_bakery", "-o", str(mmd)).exit_code == 0
    assert flow("render", str(DEMO), "--output", str(dot)).exit_code == 0
    assert mmd.read_text(encoding="utf-8").startswith("flowchart TD\n")
    assert '"topic" -> "hours" [label="topic = hours"];' in dot.read_text(encoding="utf-8")
    bad = flow("render", "demo_bakery", "-o", str(tmp_path / "demo.png"))
    assert bad.exit_code == 2 and "write to .mmd, .dot or .svg" in bad.output


def test_render_svg_without_graphviz_says_to_use_mermaid(tmp_path: Path) -> None:
    result = flow("render", "demo_bakery", "-o", str(tmp_path / "demo.svg"), env={"PATH": ""})
    assert result.exit_code == 1
    assert "Graphviz 'dot'" in result.output and "-o flow.mmd" in result.output
    assert not (tmp_path / "demo.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_svg_with_graphviz(tmp_path: Path) -> None:
    svg = tmp_path / "demo.svg"
    result = flow("render", "demo_bakery", "-o", str(svg))
    assert result.exit_code == 0, result.output
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "goodbye_no_input" in text
