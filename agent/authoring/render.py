"""Draw a flow: Mermaid ``flowchart TD`` text, Graphviz DOT, or SVG through ``dot``.

Every drawing comes from one list of labelled edges, built from the nodes' exits:
``next`` edges carry no label, transitions carry their condition (``topic = hours``,
``intent order``), other exits their reason (``consented``, ``low confidence``), and the
global intents and a clarify node's way back are dashed. Nodes are labelled with their
id and kind (and, for an ask, its type and slot). Mermaid ids are prefixed (``n_end``),
because ``end`` is a keyword in Mermaid.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..errors import RenderError
from ..flow.conditions import (
    CallSecondsOver,
    Condition,
    ExpressionCondition,
    IntentCondition,
    Keyword,
    OwnSlotEquals,
)
from ..flow.model import LISTENING_KINDS, AskNode, Exit, Flow, LlmNode, Node
from .coverage import flow_edges

DOT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class _Edge:
    src: str
    dst: str
    label: str = ""
    dashed: bool = False


def _edges(flow: Flow) -> list[_Edge]:
    globals_ = {to: f"{name} (global)" for name, to in _global_targets(flow)}
    listening = tuple(n for n, node in flow.nodes.items() if isinstance(node, LISTENING_KINDS))
    edges: list[_Edge] = []
    for node_id, node in flow.nodes.items():
        seen: set[tuple[str, str]] = set()
        for ex in node.exits():
            label = _exit_label(node, ex)
            if (ex.to, label) not in seen:
                seen.add((ex.to, label))
                edges.append(_Edge(node_id, ex.to, label))
    for node_id in listening:
        edges += [_Edge(node_id, to, label, dashed=True) for to, label in globals_.items()]
    edges += [
        _Edge(e.from_node, e.to_node, "returns the reply", dashed=True)
        for e in flow_edges(flow)
        if e.reason == "returned"
    ]
    return edges


def _global_targets(flow: Flow) -> list[tuple[str, str]]:
    return [(str(loc[1]), to) for loc, to in flow.globals.targets()]


def _exit_label(node: Node, ex: Exit) -> str:
    transitions = getattr(node, "transitions", ())
    if ex.field[0] == "transitions" and isinstance(ex.field[1], int):
        return _condition(transitions[ex.field[1]].when, node)
    if ex.reason == "next":
        return ""
    if ex.reason == "tool" and isinstance(node, LlmNode) and isinstance(ex.field[1], int):
        return f"tool {node.tools[ex.field[1]].name}"
    return ex.reason.replace("_", " ")


def _condition(when: Condition, node: Node) -> str:
    if isinstance(when, Keyword):
        return when.value.replace("_", " ")
    if isinstance(when, OwnSlotEquals):
        return f"{getattr(node, 'slot', 'answer')} = {when.slot_equals}"
    if isinstance(when, ExpressionCondition):
        return f"if {when.source}"
    if isinstance(when, CallSecondsOver):
        return f"call over {when.call_seconds_over:g} s"
    if isinstance(when, IntentCondition):
        name = when.intent if isinstance(when.intent, str) else "(inline)"
        return f"intent {name}"
    return f"{when.slot} = {when.equals}"


def _caption(node_id: str, node: Node) -> tuple[str, str]:
    """The two lines of a node's label: its id, then its kind."""
    if isinstance(node, AskNode):
        return node_id, f"ask {node.type.value} → {node.slot}"
    return node_id, node.kind.replace("_", " ")


# --- Mermaid ----------------------------------------------------------------------------

_MERMAID_SHAPES = {
    "say": '["{}"]',
    "handoff": '[/"{}"/]',
    "end": '(["{}"])',
    "ask": '{{{{"{}"}}}}',
    "lead_gate": '{{{{"{}"}}}}',
    "clarify": '{{{{"{}"}}}}',
    "answer": '[["{}"]]',
    "questions": '[["{}"]]',
    "llm": '[("{}")]',
}


def to_mermaid(flow: Flow) -> str:
    """The flow as a Mermaid ``flowchart TD`` (paste into a Markdown file or mermaid.live)."""
    lines = ["flowchart TD", '  flow_start(("start"))', f"  flow_start --> {_mid(flow.start)}"]
    for node_id, node in flow.nodes.items():
        label = "<br/>".join(_mermaid_text(part) for part in _caption(node_id, node))
        lines.append(f"  {_mid(node_id)}{_MERMAID_SHAPES[node.kind].format(label)}")
    for edge in _edges(flow):
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {_mid(edge.src)} {arrow}{label} {_mid(edge.dst)}")
    return "\n".join(lines) + "\n"


def _mid(node_id: str) -> str:
    return f"n_{node_id}"


def _mermaid_text(text: str) -> str:
    return text.replace("#", "#35;").replace('"', "#34;").replace("<", "#60;")


# --- Graphviz ---------------------------------------------------------------------------

_DOT_SHAPES = {
    "say": "shape=box",
    "handoff": "shape=parallelogram",
    "end": 'shape=box, style="rounded,bold"',
    "ask": "shape=hexagon",
    "lead_gate": "shape=hexagon, peripheries=2",
    "clarify": "shape=hexagon, style=dashed",
    "answer": "shape=box3d",
    "questions": "shape=box3d",
    "llm": "shape=component",
}


def to_dot(flow: Flow) -> str:
    """The flow in Graphviz DOT."""
    lines = [
        f"digraph {_dot_text(flow.id)} {{",
        '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];',
        f"  flow_start [shape=point]; flow_start -> {_dot_text(flow.start)};",
    ]
    for node_id, node in flow.nodes.items():
        label = _dot_text("\n".join(_caption(node_id, node)))
        shape = _DOT_SHAPES[node.kind]
        lines.append(f"  {_dot_text(node_id)} [{shape}, label={label}];")
    for edge in _edges(flow):
        attrs = [f"label={_dot_text(edge.label)}"] if edge.label else []
        attrs += ["style=dashed"] if edge.dashed else []
        attributes = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_dot_text(edge.src)} -> {_dot_text(edge.dst)}{attributes};")
    return "\n".join([*lines, "}"]) + "\n"


def _dot_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_svg(flow: Flow) -> str:
    """The flow drawn as SVG by Graphviz ``dot``; raises RenderError without Graphviz."""
    dot = shutil.which("dot")
    if dot is None:
        raise RenderError(
            f"flow {flow.id!r}: SVG needs Graphviz 'dot' on PATH, which was not found; "
            "install graphviz, or write Mermaid instead (-o flow.mmd)"
        )
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=to_dot(flow),
            capture_output=True,
            text=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RenderError(f"flow {flow.id!r}: running {dot} failed: {e}") from e
    if done.returncode != 0:
        raise RenderError(f"flow {flow.id!r}: dot failed: {done.stderr.strip()}")
    return done.stdout
