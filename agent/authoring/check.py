"""Graph checks of a loaded flow: what loading cannot see node by node, as findings.

The loader (:mod:`agent.flow.load`) rejects a flow that cannot run. These checks look at the flow
as a graph of its static edges (:func:`.coverage.flow_edges`: ``next``, transitions and,
from every ask, the global goodbye) and report, each with the file line:

- an unreachable node: no path from ``start`` enters it (a warning);
- a trap: no ``end`` node can be reached from the node, so a call there never ends;
- a slot read before it can be set: a template (``{{ slots.x }}``, an error: it cannot
  render) or a condition (a warning: the slot is null there, which ``slots.x == null``
  may test on purpose) at a node that some path from ``start`` reaches without an ask
  filling ``x``. A forward "definitely set" dataflow finds them (the slots set on every
  way in), and the shortest such path is shown;
- consent that can be skipped: a node marked ``requires_consent`` that some path from
  ``start`` reaches without leaving a ``lead_gate`` by its consent (:func:`unguarded_paths`
  with the lead gates as gates and only their ``consented`` exits as passing).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import FlowLoadError
from ..flow.conditions import Condition, ExpressionCondition, SlotEquals
from ..flow.model import AskNode, EndNode, Flow, LeadGateNode
from ..flow.templates import node_template_problems
from ..yamlfile import Loc, SourceLines, read_source, read_yaml
from .coverage import Edge, flow_edges

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """A problem in a flow; ``line`` is in the flow file (None: no file was given)."""

    severity: Severity
    node: str
    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        """``source:line: severity: message``, as compilers print it."""
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class FlowGraph:
    """A flow's nodes with their ways out and in, built once per check."""

    start: str
    out: Mapping[str, tuple[Edge, ...]]
    into: Mapping[str, tuple[Edge, ...]]

    @classmethod
    def of(cls, start: str, nodes: Iterable[str], edges: Iterable[Edge]) -> FlowGraph:
        """The graph of ``edges`` between ``nodes`` (edges to unknown nodes are dropped)."""
        out: dict[str, list[Edge]] = {node: [] for node in nodes}
        into: dict[str, list[Edge]] = {node: [] for node in out}
        for edge in edges:
            if edge.from_node in out and edge.to_node in out:
                out[edge.from_node].append(edge)
                into[edge.to_node].append(edge)
        return cls(
            start,
            {node: tuple(found) for node, found in out.items()},
            {node: tuple(found) for node, found in into.items()},
        )

    @classmethod
    def of_flow(cls, flow: Flow) -> FlowGraph:
        return cls.of(flow.start, flow.nodes, flow_edges(flow))

    def reachable(self, sources: Iterable[str], *, backward: bool = False) -> set[str]:
        """The nodes reachable from ``sources`` (or, ``backward``, that reach them)."""
        ways, seen = (self.into if backward else self.out), set(sources)
        todo = list(seen)
        while todo:
            for edge in ways.get(todo.pop(), ()):
                node = edge.from_node if backward else edge.to_node
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return seen

    def path(self, target: str, *, blocked: Callable[[Edge], bool]) -> tuple[str, ...] | None:
        """A shortest path from ``start`` to ``target`` taking no ``blocked`` edge."""
        came_from: dict[str, str | None] = {self.start: None}
        todo = deque([self.start])
        while todo and target not in came_from:
            node = todo.popleft()
            for edge in self.out.get(node, ()):
                if edge.to_node not in came_from and not blocked(edge):
                    came_from[edge.to_node] = node
                    todo.append(edge.to_node)
        if target not in came_from:
            return None
        path, step = [target], came_from[target]
        while step is not None:
            path.append(step)
            step = came_from[step]
        return tuple(reversed(path))


def unguarded_paths(
    graph: FlowGraph,
    *,
    gates: Collection[str],
    guarded: Iterable[str],
    passes: Callable[[Edge], bool] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Each ``guarded`` node some path from ``start`` reaches without passing through a
    ``gates`` node, with a shortest such path ("must pass X before Y"). ``passes`` tells
    which of a gate's edges count as passing it (default: all of them)."""
    found: dict[str, tuple[str, ...]] = {}

    def blocked(edge: Edge) -> bool:
        return edge.from_node in gates and (passes is None or passes(edge))

    for node in guarded:
        path = graph.path(node, blocked=blocked)
        if path is not None and node not in gates:
            found[node] = path
    return found


def check_flow(flow: Flow, lines: SourceLines | None = None) -> list[Finding]:
    """Every graph-level finding in a loaded ``flow``, in file order when ``lines`` (the
    flow file's, from :func:`source_lines`) are given."""
    graph = FlowGraph.of_flow(flow)
    reachable = graph.reachable([flow.start])
    unreachable = f"unreachable from the start node {flow.start!r}"
    found = [
        _finding("warning", ("nodes", node), unreachable, lines)
        for node in flow.nodes
        if node not in reachable
    ]
    found += _trap_findings(flow, graph, lines)
    found += _slot_findings(flow, graph, reachable, lines)
    found += _consent_findings(flow, graph, lines)
    return sorted(found, key=lambda f: (f.line or 0, f.severity))


def source_lines(path: Path) -> SourceLines:
    """The line map of the flow file at ``path`` (read again: the loader keeps its own)."""
    text = read_source(path, error=FlowLoadError, what="flow file")
    return read_yaml(text, str(path), error=FlowLoadError, expected="a flow file")[1]


def _finding(
    severity: Severity, loc: Loc, message: str, lines: SourceLines | None, template_line: int = 0
) -> Finding:
    field = ".".join(map(str, loc))
    line = lines.found(loc, message, template_line)[0] if lines is not None else None
    return Finding(severity, str(loc[1]), f"{field}: {message}", line)


def _trap_findings(flow: Flow, graph: FlowGraph, lines: SourceLines | None) -> list[Finding]:
    ends = [node_id for node_id, node in flow.nodes.items() if isinstance(node, EndNode)]
    can_end = graph.reachable(ends, backward=True)
    found: list[Finding] = []
    for node in flow.nodes:
        if node not in can_end:
            leads_to = ", ".join(n for n in flow.nodes if n in graph.reachable([node]))
            message = f"no end node can be reached from here (it only leads to {leads_to})"
            found.append(_finding("error", ("nodes", node), message, lines))
    return found


# --- slots read before they can be set --------------------------------------------------


def _consent_findings(flow: Flow, graph: FlowGraph, lines: SourceLines | None) -> list[Finding]:
    gates = {n for n, node in flow.nodes.items() if isinstance(node, LeadGateNode)}
    guarded = [n for n, node in flow.nodes.items() if node.requires_consent]
    found = unguarded_paths(
        graph, gates=gates, guarded=guarded, passes=lambda edge: edge.reason == "consented"
    )
    return [
        _finding(
            "error",
            ("nodes", node, "requires_consent"),
            f"requires consent, but this path skips every lead_gate's consent: {' -> '.join(path)}",
            lines,
        )
        for node, path in found.items()
    ]


def _fills(flow: Flow, edge: Edge) -> frozenset[str]:
    """The slots surely set by taking ``edge`` (an ask's when its answer matched, a lead
    gate's on consent, ...), from the node's exits."""
    node = flow.nodes[edge.from_node]
    fills = [ex.fills for ex in node.exits() if (ex.to, ex.reason) == (edge.to_node, edge.reason)]
    return frozenset.intersection(*fills) if fills else frozenset()


def _filling(flow: Flow, slot: str) -> Callable[[Edge], bool]:
    """Whether an edge fills ``slot``."""
    return lambda edge: slot in _fills(flow, edge)


def definitely_set(
    flow: Flow, graph: FlowGraph, reachable: Collection[str]
) -> dict[str, frozenset[str]]:
    """The slots set on every path from ``start`` into each ``reachable`` node: the
    intersection over its ways in, iterated from "all slots" down to a fixed point."""
    into = {node: flow.declared_slots() for node in reachable}
    into[flow.start] = frozenset()
    changed = True
    while changed:
        changed = False
        for node in (n for n in flow.nodes if n in into):
            if node == flow.start:
                continue  # a call enters it first with nothing set
            ways = [
                into[e.from_node] | _fills(flow, e) for e in graph.into[node] if e.from_node in into
            ]
            new = frozenset.intersection(*ways)
            changed |= new != into[node]
            into[node] = new
    return into


def _condition_reads(when: Condition) -> frozenset[str]:
    """The slots a condition reads: ``{slot: x, ...}`` or ``slots.x`` in an expression."""
    match when:
        case SlotEquals(slot=slot):
            return frozenset({slot})
        case ExpressionCondition(expression=expression):
            names = (name.split(".") for name in expression.variables())
            return frozenset(parts[1] for parts in names if parts[0] == "slots")
    return frozenset()


@dataclass(frozen=True)
class _Read:
    slot: str
    loc: Loc
    template_line: int  # the line inside a template (0: not a template)


def _reads(flow: Flow, node_id: str) -> list[_Read]:
    """The slots ``node_id`` reads before its own ask (if any) fills its slot: in its
    templates, found as the slots whose absence the template check reports; and, in its
    conditions, the slots other than its own."""
    node, declared = flow.nodes[node_id], flow.declared_slots()
    first: dict[tuple[str, Loc], int] = {}  # (slot, field) -> first line inside the template
    if not node_template_problems(node, slots=declared):  # else the loader rejects it
        for slot in sorted(declared):
            for field, problem in node_template_problems(node, slots=declared - {slot}):
                key = (slot, ("nodes", node_id, *field))
                first[key] = min(first.get(key, problem.line), problem.line)
    reads = [_Read(slot, loc, line) for (slot, loc), line in first.items()]
    own = frozenset({node.slot}) if isinstance(node, AskNode) else frozenset()
    reads += [
        _Read(slot, ("nodes", node_id, "transitions", i, "when"), 0)
        for i, t in enumerate(getattr(node, "transitions", ()))
        for slot in sorted(_condition_reads(t.when) - own)
    ]
    return reads


def _slot_findings(
    flow: Flow, graph: FlowGraph, reachable: Collection[str], lines: SourceLines | None
) -> list[Finding]:
    into = definitely_set(flow, graph, reachable)
    found: list[Finding] = []
    for node in (n for n in flow.nodes if n in reachable):
        for read in _reads(flow, node):
            if read.slot in into[node]:
                continue
            path = graph.path(node, blocked=_filling(flow, read.slot))
            via = f" (path: {' -> '.join(path)})" if path else ""
            if read.template_line:  # a template would fail to render: the call would stop
                message = f"reads slot {read.slot!r} before any ask can have set it{via}"
                found.append(_finding("error", read.loc, message, lines, read.template_line))
            else:  # a condition reads null there: comparisons are false, "== null" holds
                message = (
                    f"reads slot {read.slot!r}, which some path leaves unset{via}: there it "
                    f"is null, so comparisons with it are false (test 'slots.{read.slot} == "
                    "null' if that is meant)"
                )
                found.append(_finding("warning", read.loc, message, lines))
    return found
