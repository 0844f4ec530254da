"""``frontdesk flow``: the flow author's tools, in text mode, on the worker's FlowMachine.

- ``check PATH...``: load flow files with every static check, then the graph checks of
  :mod:`.check` (errors and warnings, with file:line); exit 1 on any error.
- ``test [SCENARIO...] [--coverage]``: run scenario files (default: every
  ``<flows dir>/scenarios/**/*.yaml``), pytest-style; exit 1 on any failure.
- ``chat FLOW --tenant T``: talk to a flow on stdin/stdout (``/silence``, ``/quit``),
  showing the node, the slots, and handoffs, consents and knowledge answers.
- ``render FLOW [-o out.mmd|out.dot|out.svg]``: draw a flow (stdout: Mermaid).

FLOW is a flow id in the flows dir (``FRONTDESK_FLOWS_DIR``) or a path to a flow file.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NoReturn, TextIO

import typer

from ..cli_settings import settings_or_exit
from ..config import Settings
from ..errors import FlowLoadError, FrontdeskError
from ..flow.actions import AssistError, Consult
from ..flow.assist import LlmAssistant
from ..flow.events import ConsentRecorded, HandoffRequested, KnowledgeAnswered, ListSink
from ..flow.load import load_flow, load_flow_by_id, require_llm
from ..flow.machine import Action, FlowMachine, Say
from ..flow.model import Flow, flow_json_schema
from ..providers.choice import ProviderChoice
from ..tenants import Tenant, load_tenant
from ..tenants.assistant import assistant_instructions
from ..tenants.context import template_context
from ..tenants.flows import load_tenant_flow
from .check import Finding, check_flow, source_lines
from .coverage import Coverage, merge_by_flow
from .render import to_dot, to_mermaid, to_svg
from .scenario import ScenarioResult, knowledge_for_flow, run_scenario

flow_app = typer.Typer(
    help="Author flows: check, test, chat and render them in text mode.",
    no_args_is_help=True,
    add_completion=False,
)

_RULE = "=" * 30


def _settings() -> Settings:
    return settings_or_exit("frontdesk flow", check_keys=False)


def _fail(command: str, error: FrontdeskError) -> NoReturn:
    typer.echo(f"frontdesk flow {command}: {error}", err=True)
    raise typer.Exit(1) from error


def _flow(ref: str, flows_dir: Path, tenant: Tenant | None = None) -> Flow:
    """A flow by id (the tenant's own ``tenants/<id>/flows/<id>.yaml``, else
    ``<flows_dir>/<id>.yaml``) or, if ``ref`` names a file, from it."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml"):
        return load_flow(path)
    return load_tenant_flow(tenant, flows_dir, ref) if tenant else load_flow_by_id(flows_dir, ref)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- check ------------------------------------------------------------------------------


@flow_app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Flow files (or folders of them)")],
) -> None:
    """Load flow files as the worker does, then check their graphs; exit 1 on an error.

    Errors and warnings print as ``file:line: error: ...``; warnings alone exit 0."""
    files = [f for p in paths for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p])]
    errors = warnings = 0
    for file in files:
        try:
            findings = _check_file(file)
        except FrontdeskError as e:
            errors += 1
            typer.echo(str(e))
            continue
        failed = [f for f in findings if f.severity == "error"]
        for finding in [*failed, *(f for f in findings if f.severity != "error")]:
            typer.echo(finding.format(str(file)))
        errors += bool(failed)
        warnings += len(findings) - len(failed)
        if not failed:
            typer.echo(f"ok  {_shown(file)}")
    ok = len(files) - errors
    summary = f"{len(files)} flow(s) checked: {ok} ok, {errors} with errors, {warnings} warnings"
    typer.echo(summary)
    raise typer.Exit(1 if errors or not files else 0)


def _check_file(file: Path) -> list[Finding]:
    """Load ``file`` (its name must be its flow's id) and check its graph."""
    if file.suffix != ".yaml":
        raise FlowLoadError("a flow file is named <flow id>.yaml", path=str(file))
    flow = load_flow_by_id(file.parent, file.stem)
    return check_flow(flow, source_lines(file))


# --- test -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    title: str
    status: Literal["PASSED", "FAILED", "ERROR"]
    details: str
    result: ScenarioResult | None


@flow_app.command()
def test(
    scenarios: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Scenario files or folders (default: <flows dir>/scenarios and every "
            "tenants/<id>/flows/scenarios)"
        ),
    ] = None,
    show_coverage: Annotated[
        bool, typer.Option("--coverage", help="Show the nodes and edges never reached")
    ] = False,
) -> None:
    """Run scenario files against their flows; exit 1 if any fails."""
    settings = _settings()
    started = time.perf_counter()
    paths = scenarios or default_scenario_dirs(settings)
    outcomes: list[_Outcome] = []
    for file in (f for p in paths for f in (sorted(p.rglob("*.yaml")) if p.is_dir() else [p])):
        outcomes.append(_run_one(file, settings))
        typer.echo(f"{outcomes[-1].title} {outcomes[-1].status}")
    if not outcomes:
        typer.echo(f"no scenario files in {', '.join(map(str, paths))}")
    _print_problems([o for o in outcomes if o.details])
    results = [o.result for o in outcomes if o.result is not None]
    if show_coverage:
        _print_coverage(merge_by_flow((r.flow, r.events) for r in results))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("PASSED", "FAILED", "ERROR")}
    summary = f"{counts['PASSED']} passed, {counts['FAILED']} failed"
    summary += f", {counts['ERROR']} errors" if counts["ERROR"] else ""
    typer.echo(f"{summary} in {time.perf_counter() - started:.2f}s")
    raise typer.Exit(0 if outcomes and counts["PASSED"] == len(outcomes) else 1)


def default_scenario_dirs(settings: Settings) -> list[Path]:
    """The shipped flows' scenarios, then those of each tenant's own flows."""
    own = sorted(settings.tenants_dir.glob("*/flows/scenarios"))
    return [settings.flows_dir / "scenarios", *own]


def _run_one(file: Path, settings: Settings) -> _Outcome:
    try:
        result = run_scenario(file, flows_dir=settings.flows_dir, tenants_dir=settings.tenants_dir)
    except FrontdeskError as e:
        return _Outcome(_shown(file), "ERROR", str(e), None)
    title = f"{_shown(file)}::{result.name}"
    if result.passed:
        return _Outcome(title, "PASSED", "", result)
    return _Outcome(title, "FAILED", result.report(), result)


def _print_problems(problems: list[_Outcome]) -> None:
    if problems:
        typer.echo(f"\n{_RULE} FAILURES {_RULE}")
    for problem in problems:
        typer.echo(f"___ {problem.title} ___\n{problem.details}\n")


def _print_coverage(coverages: list[Coverage]) -> None:
    typer.echo(f"\n{_RULE} COVERAGE {_RULE}")
    for c in coverages:
        typer.echo(
            f"{c.flow_id}: nodes {len(c.nodes_hit)}/{len(c.nodes)}, "
            f"edges {len(c.edges_hit)}/{len(c.edges)}"
        )
        if c.nodes_missed:
            typer.echo(f"  nodes never reached: {', '.join(c.nodes_missed)}")
        for edge in c.edges_missed:
            typer.echo(f"  edge never taken: {edge}")


# --- chat -------------------------------------------------------------------------------

_CHAT_HELP = "commands: /silence (the caller says nothing), /quit"


@flow_app.command()
def chat(
    flow: Annotated[str, typer.Argument(help="Flow id, or a flow file")],
    tenant: Annotated[
        str | None, typer.Option(help="Tenant id (default: FRONTDESK_DEFAULT_TENANT)")
    ] = None,
) -> None:
    """Talk to a flow: type what the caller says (/silence, /quit); works with piped input.

    Answer nodes search the tenant's knowledge base; with FRONTDESK_LLM set the flow runs
    LLM-assisted (and may have llm nodes), as in a call."""
    settings = _settings()
    try:
        the_tenant = load_tenant(settings.tenants_dir, tenant or settings.default_tenant)
        loaded = _flow(flow, settings.flows_dir, the_tenant)
        choice = ProviderChoice.of(settings, the_tenant.config.providers)
        assisted = choice.assisted
        require_llm(loaded, llm_configured=assisted)
        context = template_context(the_tenant)
        sink = ListSink()
        knowledge = knowledge_for_flow(loaded, the_tenant)
        machine = FlowMachine(loaded, context, sink=sink, assisted=assisted, **knowledge)
        assistant = _assistant(choice.settings(settings), the_tenant) if assisted else None
        _repl(machine, sys.stdin, sink=sink, assistant=assistant)
    except FrontdeskError as e:
        _fail("chat", e)


def _assistant(settings: Settings, tenant: Tenant) -> LlmAssistant | None:
    from ..providers.registry import build_llm

    model = build_llm(settings)
    if model is None:
        return None
    return LlmAssistant(model, instructions=assistant_instructions(tenant))


def _turn(machine: FlowMachine, text: str, assistant: LlmAssistant | None) -> list[Action]:
    actions = machine.on_no_input() if text == "/silence" else machine.on_user_text(text)
    consult = next((a for a in actions if isinstance(a, Consult)), None)
    if consult is not None:
        assist = (
            asyncio.run(assistant.consult(consult))
            if assistant is not None
            else AssistError("no LLM configured")
        )
        actions = machine.on_user_text(consult.text, assist=assist)
    return actions


def _repl(
    machine: FlowMachine,
    stdin: TextIO,
    *,
    sink: ListSink | None = None,
    assistant: LlmAssistant | None = None,
) -> None:
    typer.echo(_CHAT_HELP)
    _say(machine.start())
    echo = not stdin.isatty()  # piped: show the input, so the output reads as a transcript
    while not machine.state.ended:
        typer.echo("you> ", nl=False)
        line = stdin.readline()
        if not line:
            typer.echo("\n(end of input)")
            return
        text = line.strip()
        if echo:
            typer.echo(text)
        if text == "/quit":
            return
        if text.startswith("/") and text != "/silence":
            typer.echo(_CHAT_HELP)
            continue
        seen = len(sink.events) if sink is not None else 0
        _say(_turn(machine, text, assistant))
        for event in sink.events[seen:] if sink is not None else []:
            if isinstance(event, HandoffRequested | ConsentRecorded | KnowledgeAnswered):
                typer.echo(f"   ({_event_line(event)})")
        slots = ", ".join(f"{k}={v}" for k, v in machine.state.slots.items()) or "none"
        typer.echo(f"   [node: {machine.state.current} | slots: {slots}]")
    typer.echo(f"(the call ended at node {machine.state.current!r})")


def _event_line(event: HandoffRequested | ConsentRecorded | KnowledgeAnswered) -> str:
    match event:
        case HandoffRequested(reason=reason, summary=summary):
            return f"handoff requested: {reason}; {summary}"
        case ConsentRecorded(who=who, granted=granted):
            return f"consent {'given' if granted else 'refused'} by {who}"
        case KnowledgeAnswered(confidence=confidence, answered=answered, source=source):
            found = f"answered from {source}" if answered else "below the threshold: not answered"
            return f"knowledge confidence {confidence:.2f}, {found}"


def _say(actions: list[Action]) -> None:
    for action in actions:
        if isinstance(action, Say):
            typer.echo(f"agent> {action.text}")


# --- render -----------------------------------------------------------------------------

_RENDERERS = {".mmd": to_mermaid, ".dot": to_dot, ".svg": to_svg}


@flow_app.command()
def render(
    flow: Annotated[str, typer.Argument(help="Flow id, or a flow file")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to .mmd (Mermaid), .dot or .svg (Graphviz)"),
    ] = None,
) -> None:
    """Draw a flow: Mermaid on stdout, or a .mmd, .dot or .svg file."""
    settings = _settings()
    renderer = _RENDERERS.get(output.suffix if output else ".mmd")
    if renderer is None:
        typer.echo(f"frontdesk flow render: write to .mmd, .dot or .svg, not {output}", err=True)
        raise typer.Exit(2)
    try:
        text = renderer(_flow(flow, settings.flows_dir))
    except FrontdeskError as e:
        _fail("render", e)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@flow_app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("-o", help="write here (flows/schema.json)")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of flow files, for editors and CI."""
    text = json.dumps(flow_json_schema(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
