"""Scenario files: scripted text-mode calls through a flow, checked turn by turn.

A scenario names a flow and a tenant, then lists turns. A turn is what the caller did,
``user: "..."`` or ``silence: true`` (a no-input timeout), and what to ``expect`` after
it: the current ``node``, fragments the agent ``says`` (in order, ignoring case) or
``says_not``, ``slots`` that hold, whether the call ``ended`` and at which ``end_node``.
The first turn may be just an ``expect``: it checks the opening (greeting, first ask).
``expect_path`` checks every node entered, in order::

    flow: demo_bakery
    tenant: crumb-and-co
    name: asks for hours then hangs up
    clock: "2026-03-02T09:15:00"      # tenant-local; default DEFAULT_CLOCK
    turns:
      - expect: {node: topic, says: ["thanks for calling"]}
      - user: "uh the opening hours please"
        expect: {node: anything_else, slots: {topic: hours}}
      - user: "no thanks"
        expect: {ended: true, end_node: end, says: ["Goodbye"]}
    expect_path: [greeting, topic, hours, anything_else, end]

:func:`run_scenario` drives the voice worker's :class:`~.machine.FlowMachine` with a
fixed clock and returns a :class:`ScenarioResult`; it stops at the first failing turn.
The checks are in :mod:`.expect`; :mod:`.coverage` tells which nodes and edges of a flow
the runs reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..errors import FlowRuntimeError, FrontdeskError, ScenarioError
from ..flow.actions import AwaitHuman
from ..flow.events import FlowEvent, ListSink
from ..flow.load import load_flow_by_id
from ..flow.machine import Action, FlowMachine, Say
from ..flow.model import Flow, FlowId, NodeId
from ..knowledge.base import KnowledgeSearch
from ..tenants import Tenant, load_tenant
from ..tenants.context import template_context
from ..tenants.flows import flow_path, load_tenant_flow
from ..yamlfile import SourceLines, parse_model, read_source
from .expect import Expect, Fragment, check_path, check_turn, indent

DEFAULT_CLOCK = datetime(2026, 1, 6, 10, 0)  # a Tuesday morning, tenant-local


class KnowledgeOptions(TypedDict, total=False):
    knowledge: KnowledgeSearch
    knowledge_threshold: float


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Turn(_Model):
    """One caller action (``user`` or ``silence``) and what to expect after it."""

    user: Fragment | None = None
    silence: Literal[True] | None = None
    # a waiting handoff this turn reaches: "taken" (a person joins, then hands back);
    # otherwise nobody takes the call and its on_timeout path runs
    handoff: Literal["taken"] | None = None
    expect: Expect = Expect()

    @model_validator(mode="after")
    def _not_both(self) -> Turn:
        if self.user is not None and self.silence:
            raise ValueError("a turn is either 'user' or 'silence', not both")
        return self

    @property
    def is_opening(self) -> bool:
        return self.user is None and self.silence is None

    def label(self) -> str:
        if self.user is not None:
            return f"user: {self.user!r}"
        return "silence" if self.silence else "opening"


class Scenario(_Model):
    """A validated scenario file (load it with :func:`load_scenario`)."""

    flow: FlowId
    tenant: str = Field(min_length=1)
    name: str = Field(min_length=1)
    clock: datetime | None = None
    turns: tuple[Turn, ...]  # not Field(min_length=1): pydantic adds it to item errors
    expect_path: tuple[NodeId, ...] | None = None

    @field_validator("turns")
    @classmethod
    def _only_first_is_opening(cls, turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
        if not turns:
            raise ValueError("a scenario needs at least one turn")
        message = "needs 'user' or 'silence' (only the first turn may be just 'expect')"
        problems = [
            InitErrorDetails(type=PydanticCustomError("turn_action", message), loc=(i,), input=t)
            for i, t in enumerate(turns)
            if i > 0 and t.is_opening
        ]
        if problems:  # pydantic nests these under ``turns``, each at its own turn's line
            raise ValidationError.from_exception_data("Scenario", problems)
        return turns


# --- loading ----------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario file at ``path``; errors name file:line."""
    return _load(Path(path))[0]


def parse_scenario(text: str, *, source: str = "<string>") -> Scenario:
    """Validate scenario YAML given as text; ``source`` names it in errors."""
    return _parse(text, source)[0]


def _load(path: Path) -> tuple[Scenario, SourceLines]:
    return _parse(read_source(path, error=ScenarioError, what="scenario file"), str(path))


def _parse(text: str, source: str) -> tuple[Scenario, SourceLines]:
    expected = "a scenario file is a mapping with flow, tenant, name and turns"
    return parse_model(text, source, Scenario, error=ScenarioError, expected=expected)


# --- running ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnResult:
    """One turn as run: what the agent said, where the flow is, what did not hold."""

    index: int  # 1-based, as counted in the file
    label: str
    line: int  # in the scenario file; 0 when the scenario did not come from a file
    said: tuple[str, ...]
    node: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario run: every turn run, the node path, and every event the flow emitted."""

    name: str
    source: str
    flow: Flow
    turns: tuple[TurnResult, ...]
    skipped: int  # turns not run after a failing one
    path: tuple[str, ...]
    path_failure: str
    events: tuple[FlowEvent, ...]

    @property
    def passed(self) -> bool:
        return not self.path_failure and all(t.passed for t in self.turns)

    def report(self) -> str:
        """What failed, with file:line, readable on a terminal ("" when it passed)."""
        out: list[str] = []
        for t in (t for t in self.turns if not t.passed):
            out.append(f"{_at(self.source, t.line)}: turn {t.index} ({t.label})")
            out += [indent(failure, "  ") for failure in t.failures]
        if self.skipped:
            out.append(f"  ({self.skipped} later turn(s) not run)")
        if self.path_failure:
            out.append(self.path_failure)
        return "\n".join(out)


def run_scenario(
    scenario: str | Path | Scenario, *, flows_dir: Path, tenants_dir: Path
) -> ScenarioResult:
    """Run ``scenario`` (a file or a model) against the flows and tenants on disk."""
    model, lines = _load(Path(scenario)) if not isinstance(scenario, Scenario) else (scenario, None)
    source = "<scenario>" if lines is None else str(scenario)
    tenant, flow = _bind(model, source, lines, flows_dir, tenants_dir)
    now = _clock(model.clock, tenant.tz)
    sink = ListSink()
    machine = FlowMachine(
        flow,
        template_context(tenant),
        sink=sink,
        clock=lambda: now,
        **knowledge_for_flow(flow, tenant),
    )
    turns = _play(machine, model, lines, sink)
    path = machine.state.path
    ran_all = len(turns) == len(model.turns) and all(t.passed for t in turns)
    return ScenarioResult(
        name=model.name,
        source=source,
        flow=flow,
        turns=turns,
        skipped=len(model.turns) - len(turns),
        path=path,
        path_failure=_path_failure(model, path, source, lines) if ran_all else "",
        events=tuple(sink.events),
    )


def _bind(
    model: Scenario, source: str, lines: SourceLines | None, flows_dir: Path, tenants_dir: Path
) -> tuple[Tenant, Flow]:
    def error(field: str, e: FrontdeskError) -> ScenarioError:
        line = lines.locate((field,))[0] if lines is not None else None
        return ScenarioError(f"{field}: {e}", path=source, line=line)

    try:
        tenant = load_tenant(tenants_dir, model.tenant)
    except FrontdeskError as e:
        raise error("tenant", e) from e
    try:
        path = flow_path(tenant, flows_dir, model.flow)  # the tenant's own, else shared
        stamp = path.stat().st_mtime_ns if path.is_file() else 0
        if path.parent != flows_dir:  # the tenant's own flow
            return tenant, load_tenant_flow(tenant, flows_dir, model.flow)
        return tenant, _flow(flows_dir, model.flow, stamp)
    except FrontdeskError as e:
        raise error("flow", e) from e


@lru_cache(maxsize=64)
def _flow(flows_dir: Path, flow_id: str, stamp: int) -> Flow:
    """A shared flow loaded once per file version (``stamp``): a run of many scenarios
    of one flow parses it once. Flows are frozen, so sharing them is safe."""
    return load_flow_by_id(flows_dir, flow_id)


def knowledge_for_flow(flow: Flow, tenant: Tenant) -> KnowledgeOptions:
    """The knowledge base (and its threshold) for a flow with answer nodes, else none."""
    if not flow.uses_knowledge():
        return {}
    from ..tenants.knowledge import knowledge_for  # bm25 and numpy: only when needed

    threshold = tenant.config.knowledge.threshold
    return {"knowledge": knowledge_for(tenant), "knowledge_threshold": threshold}


def _clock(clock: datetime | None, tz: tzinfo) -> datetime:
    at = clock or DEFAULT_CLOCK
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def _play(
    machine: FlowMachine, model: Scenario, lines: SourceLines | None, sink: ListSink
) -> tuple[TurnResult, ...]:
    results: list[TurnResult] = []
    for i, turn in enumerate(model.turns):
        said, failures = _turn(machine, turn, sink)
        line = lines.locate(("turns", i))[0] if lines is not None else 0
        node = machine.state.current
        results.append(TurnResult(i + 1, turn.label(), line, said, node, failures))
        if failures:
            break
    return tuple(results)


def _turn(
    machine: FlowMachine, turn: Turn, sink: ListSink
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Play one turn: what the agent said during it, and why the turn failed."""
    before = len(sink.events)
    try:
        actions = replay_turn(machine, turn)
    except FlowRuntimeError as e:
        return (), (f"flow error: {e}",)
    if actions is None:
        return (), (f"the call already ended at node {machine.state.current!r}",)
    said = tuple(a.text for a in actions if isinstance(a, Say))
    events = sink.events[before:]
    return said, tuple(check_turn(turn.expect, said, machine.state, events))


SCENARIO_STAFF = "staff-scenario"


def replay_turn(machine: FlowMachine, turn: Turn) -> list[Action] | None:
    """The actions answering ``turn`` (starting the call first); None if it has ended."""
    started = [] if machine.state.path else machine.start()
    if turn.is_opening:
        return started
    if machine.state.ended:
        return None
    actions = machine.on_user_text(turn.user) if turn.user is not None else machine.on_no_input()
    if any(isinstance(a, AwaitHuman) for a in actions):
        if turn.handoff == "taken":
            machine.human_joined(SCENARIO_STAFF)
            return [*actions, *machine.handed_back(SCENARIO_STAFF)]
        actions = [*actions, *machine.handoff_timed_out(0.0)]
    return actions


def _at(source: str, line: int) -> str:
    return f"{source}:{line}" if line else source


def _path_failure(
    model: Scenario, path: tuple[str, ...], source: str, lines: SourceLines | None
) -> str:
    failure = check_path(model.expect_path, path) if model.expect_path is not None else ""
    line = lines.locate(("expect_path",))[0] if lines is not None else 0
    return f"{_at(source, line)}: {failure}" if failure else ""
