"""Flow coverage: which nodes and edges of a flow some runs reached, and which never.

The edges a flow can take are known statically: each node's exits (a say node's
``next``, an ask's transitions, a lead gate's consent and refusal, ...), from every
listening node the global goodbye and human intents, and from a clarify node the way
back to each node that can go to it. An edge is told apart by
why it is taken, as :class:`~.machine.TransitionTaken` reports it, so ``topic ->
goodbye_no_input`` after silence (``no_input``) and after nonsense
(``retries_exhausted``) are two edges. Two answers leading to the same node are one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..flow.events import FlowEvent, NodeEntered, TransitionReason, TransitionTaken
from ..flow.model import LISTENING_KINDS, ClarifyNode, Flow
from ..flow.model_base import transition_reason

__all__ = ["Coverage", "Edge", "coverage", "flow_edges", "merge_by_flow", "transition_reason"]


@dataclass(frozen=True, order=True)
class Edge:
    """A way from one node to another, and why it is taken."""

    from_node: str
    to_node: str
    reason: TransitionReason

    def __str__(self) -> str:
        return f"{self.from_node} -> {self.to_node} ({self.reason})"


@dataclass(frozen=True)
class Coverage:
    """Which of a flow's nodes and edges were reached."""

    flow_id: str
    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]
    nodes_hit: frozenset[str]
    edges_hit: frozenset[Edge]

    @property
    def nodes_missed(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if n not in self.nodes_hit)

    @property
    def edges_missed(self) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e not in self.edges_hit)


def flow_edges(flow: Flow) -> tuple[Edge, ...]:
    """Every edge ``flow`` declares, in file order."""
    globals_ = [to for _, to in flow.globals.targets()]
    edges: list[Edge] = []
    for node_id, node in flow.nodes.items():
        edges += [Edge(node_id, e.to, e.reason) for e in node.exits()]
        if isinstance(node, LISTENING_KINDS):
            edges += [Edge(node_id, to, "global_intent") for to in globals_]
    for clarify_id in (n for n, node in flow.nodes.items() if isinstance(node, ClarifyNode)):
        askers = [e.from_node for e in edges if e.to_node == clarify_id and e.reason != "returned"]
        edges += [Edge(clarify_id, asker, "returned") for asker in askers]
    return tuple(dict.fromkeys(edges))


def coverage(flow: Flow, events: Iterable[FlowEvent]) -> Coverage:
    """How much of ``flow`` the ``events`` of any number of runs reached."""
    edges = flow_edges(flow)
    nodes_hit: set[str] = set()
    taken: set[Edge] = set()
    for event in events:
        if isinstance(event, NodeEntered):
            nodes_hit.add(event.node)
        elif isinstance(event, TransitionTaken):
            taken.add(Edge(event.from_node, event.to_node, event.reason))
    hit = frozenset(nodes_hit & set(flow.nodes))
    return Coverage(flow.id, tuple(flow.nodes), edges, hit, frozenset(taken & set(edges)))


def merge_by_flow(runs: Iterable[tuple[Flow, Iterable[FlowEvent]]]) -> list[Coverage]:
    """The coverage of each flow among ``runs`` (flow, events), in the order first seen."""
    flows: dict[str, Flow] = {}
    events: dict[str, list[FlowEvent]] = {}
    for flow, run_events in runs:
        flows.setdefault(flow.id, flow)
        events.setdefault(flow.id, []).extend(run_events)
    return [coverage(flow, events[flow_id]) for flow_id, flow in flows.items()]
