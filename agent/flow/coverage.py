"""Flow coverage: which nodes and edges of a flow some runs reached, and which never.

The edges a flow can take are known statically: each say node's ``next``, each ask
transition's ``to`` and, from every ask, the global goodbye. An edge is told apart by
why it is taken, as :class:`~.machine.TransitionTaken` reports it, so ``topic ->
goodbye_no_input`` after silence (``no_input``) and after nonsense
(``retries_exhausted``) are two edges. Two answers leading to the same node are one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .conditions import Condition, Keyword
from .events import FlowEvent, NodeEntered, TransitionReason, TransitionTaken
from .model import AskNode, Flow, SayNode


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
    goodbye = flow.globals.goodbye
    edges: list[Edge] = []
    for node_id, node in flow.nodes.items():
        if isinstance(node, SayNode):
            edges.append(Edge(node_id, node.next, "next"))
        elif isinstance(node, AskNode):
            edges += [Edge(node_id, t.to, transition_reason(t.when)) for t in node.transitions]
            if goodbye is not None:
                edges.append(Edge(node_id, goodbye.to, "global_intent"))
    return tuple(dict.fromkeys(edges))


def transition_reason(when: Condition) -> TransitionReason:
    """The reason the machine reports when it takes a transition with condition ``when``."""
    if when is Keyword.RETRIES_EXHAUSTED:
        return "retries_exhausted"
    return "no_input" if when is Keyword.NO_INPUT else "matched"


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
