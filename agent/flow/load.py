"""Load a flow file: YAML in, a validated :class:`~.model.Flow` out, or a FlowLoadError.

Loading is eager and complete, so a bad flow fails in CI or at worker start, never in a
call. Every error names ``file:line`` and the field path. Three phases:

1. YAML, read keeping every node's position, with YAML 1.2 booleans (``yes``/``no``
   stay strings: they are answers and conditions here) and no duplicate keys.
2. The pydantic models (:mod:`.model`): unknown fields, unknown kinds, bad values.
3. Cross-node checks: targets exist (and an ask's ``clarify`` is a clarify node); named
   intents exist; every ask can always leave (a ``retries_exhausted`` transition, a
   transition for every answer, and ``always`` on a typed ask); no loops of nodes that
   never wait for the caller; unambiguous phrases; templates and expressions use only
   known variables (declared slots, ``call.seconds``, ``tenant.*``).

A flow with ``llm`` nodes loads, but the worker refuses it without an LLM
(:func:`require_llm`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..errors import FlowLoadError
from ..yamlfile import (
    Loc,
    SourceLines,
    by_line,
    parse_model,
    problems_error,
    read_source,
)
from .conditions import CALL_FIELDS, ExpressionCondition, IntentCondition, Keyword
from .match import condition_holds, phrase_problems
from .model import LISTENING_KINDS, AskNode, ClarifyNode, EndNode, Flow, Transition
from .templates import TENANT_FIELDS, node_template_problems

_Problem = tuple[Loc, str, int]  # where, what, line inside a template (0: not a template)

_FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def load_flow(path: str | Path) -> Flow:
    """Read, validate and check the flow file at ``path``."""
    return _load(Path(path))[0]


def load_flow_by_id(flows_dir: str | Path, flow_id: str) -> Flow:
    """Load ``<flows_dir>/<flow_id>.yaml``, whose ``id`` must be ``flow_id``."""
    flows_dir = Path(flows_dir)
    if not _FLOW_ID.match(flow_id):
        rule = "use lowercase letters, digits, '_' and '-'"
        raise FlowLoadError(f"invalid flow id {flow_id!r} in flows dir {flows_dir}: {rule}")
    path = flows_dir / f"{flow_id}.yaml"
    flow, lines = _load(path)
    if flow.id != flow_id:
        line, field = lines.locate(("id",))
        message = f"{field}: the file declares id {flow.id!r} but was loaded as {flow_id!r}"
        raise FlowLoadError(message, path=str(path), line=line)
    return flow


def parse_flow(text: str, *, source: str = "<string>") -> Flow:
    """Validate and check flow YAML given as text; ``source`` names it in errors."""
    return _parse(text, source)[0]


def _load(path: Path) -> tuple[Flow, SourceLines]:
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.yaml"))) or "none"
        message = f"flow file not found (flows dir: {path.parent}; flows there: {known})"
        raise FlowLoadError(message, path=str(path))
    return _parse(read_source(path, error=FlowLoadError, what="flow file"), str(path))


def _parse(text: str, source: str) -> tuple[Flow, SourceLines]:
    expected = "a flow file is a mapping with version, id, start and nodes"
    flow, lines = parse_model(text, source, Flow, error=FlowLoadError, expected=expected)
    problems = sorted((lines.found(*problem) for problem in _find_problems(flow)), key=by_line)
    if problems:
        raise problems_error(problems, source, FlowLoadError)
    return flow, lines


# --- cross-node checks ------------------------------------------------------------------


def _find_problems(flow: Flow) -> list[_Problem]:
    problems = _target_problems(flow) + _say_loop_problems(flow) + _intent_problems(flow)
    for node_id, node in flow.nodes.items():
        problems += [
            (("nodes", node_id, *field), problem.message, problem.line)
            for field, problem in node_template_problems(node, slots=flow.declared_slots())
        ]
        if isinstance(node, AskNode):
            problems += _ask_problems(flow, node_id, node)
        else:
            problems += _task_expression_problems(flow, node_id, getattr(node, "transitions", ()))
    return problems


def require_llm(flow: Flow, *, llm_configured: bool, source: str = "") -> None:
    """Refuse a flow with ``llm`` nodes when no LLM is configured."""
    nodes = flow.uses_llm()
    if nodes and not llm_configured:
        where = f"{source}: " if source else ""
        raise FlowLoadError(
            f"{where}flow {flow.id!r} has llm node(s) {', '.join(nodes)}, which need an LLM: "
            "set FRONTDESK_LLM (e.g. openai) and its key, or replace them with scripted nodes"
        )


def _target_problems(flow: Flow) -> list[_Problem]:
    targets: list[tuple[Loc, str]] = [(("start",), flow.start), *flow.globals.targets()]
    for node_id, node in flow.nodes.items():
        targets += [(("nodes", node_id, *ex.field), ex.to) for ex in node.exits()]
    targets = list(dict.fromkeys(targets))
    found = [(loc, _unknown_node(flow, to), 0) for loc, to in targets if to not in flow.nodes]
    goodbye = flow.globals.goodbye
    end = flow.nodes.get(goodbye.to) if goodbye is not None else None
    if end is not None and not isinstance(end, EndNode):
        found.append((("globals", "goodbye", "to"), "goodbye must go to an end node", 0))
    for node_id, node in flow.nodes.items():
        clarify = (
            flow.nodes.get(node.clarify) if isinstance(node, AskNode) and node.clarify else None
        )
        if clarify is not None and not isinstance(clarify, ClarifyNode):
            loc = ("nodes", node_id, "clarify")
            found.append((loc, f"'clarify' must name a clarify node, not a {clarify.kind}", 0))
    return found


def _intent_problems(flow: Flow) -> list[_Problem]:
    found: list[_Problem] = []
    for node_id, node in flow.nodes.items():
        for i, t in enumerate(getattr(node, "transitions", ())):
            name = t.when.intent if isinstance(t.when, IntentCondition) else None
            if isinstance(name, str) and name not in flow.intents:
                close = difflib.get_close_matches(name, list(flow.intents), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(sorted(flow.intents)) or "none"
                message = (
                    f"unknown intent {name!r}{hint}; declare it under 'intents' (known: {known})"
                )
                found.append((("nodes", node_id, "transitions", i, "when", "intent"), message, 0))
    return found


def _task_expression_problems(
    flow: Flow, node_id: str, transitions: tuple[object, ...]
) -> list[_Problem]:
    return [
        (("nodes", node_id, "transitions", i, "when", "if"), message, 0)
        for i, t in enumerate(transitions)
        if isinstance(t, Transition) and isinstance(t.when, ExpressionCondition)
        for message in _expression_problems(t.when, flow.declared_slots())
    ]


def _unknown_node(flow: Flow, target: str) -> str:
    close = difflib.get_close_matches(target, list(flow.nodes), n=1)
    return f"unknown node {target!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _say_loop_problems(flow: Flow) -> list[_Problem]:
    """Loops of nodes that never wait for the caller (say, handoff): the call would spin."""
    found: list[_Problem] = []
    in_loops: set[str] = set()
    for first in flow.nodes:
        chain: list[str] = []
        current, node = first, flow.nodes.get(first)
        while node is not None and _passes_through(node) and current not in chain:
            chain.append(current)
            current = node.exits()[0].to
            node = flow.nodes.get(current)
        if current == first and chain and first not in in_loops:
            in_loops.update(chain)
            loop = " -> ".join([*chain, first])
            kinds = "say nodes" if all(flow.nodes[n].kind == "say" for n in chain) else "nodes"
            message = f"{kinds} loop forever without waiting for the caller: {loop}"
            found.append((("nodes", chain[-1], "next"), message, 0))
    return found


def _passes_through(node: object) -> bool:
    """Whether a node moves on by itself (it neither waits for the caller nor ends)."""
    return not isinstance(node, (*LISTENING_KINDS, EndNode))


def _ask_problems(flow: Flow, node_id: str, ask: AskNode) -> list[_Problem]:
    where: Loc = ("nodes", node_id, "transitions")
    found: list[_Problem] = [
        ((*where, i, "when"), message, 0)
        for i, t in enumerate(ask.transitions)
        if (message := ask.condition_problem(t.when, flow.declared_slots()))
    ]
    found += [
        ((*where, i, "when", "if"), message, 0)
        for i, t in enumerate(ask.transitions)
        if isinstance(t.when, ExpressionCondition)
        for message in _expression_problems(t.when, flow.declared_slots())
    ]
    if all(t.when is not Keyword.RETRIES_EXHAUSTED for t in ask.transitions):
        found.append((where, "needs a 'retries_exhausted' transition (when nothing matched)", 0))
    if ask.open_answers and all(t.when is not Keyword.ALWAYS for t in ask.transitions):
        found.append((where, "needs an 'always' transition (when no other one holds)", 0))
    for answer in ask.answers():
        if not any(condition_holds(t.when, ask, {ask.slot: answer}) for t in ask.transitions):
            found.append((where, f"no transition for the answer {answer!r}", 0))
    found += [
        (("nodes", node_id, "choices", value, index), message, 0)
        for value, index, message in phrase_problems(ask, flow.globals)
    ]
    return found


def _expression_problems(condition: ExpressionCondition, slots: frozenset[str]) -> list[str]:
    """The variables of ``condition`` that no call has: undeclared slots, unknown fields."""
    known = {"slots": slots, "call": CALL_FIELDS, "tenant": TENANT_FIELDS}
    found: list[str] = []
    for name in sorted(condition.expression.variables()):
        root, *fields = name.split(".")
        if len(fields) != 1 or fields[0] not in known[root]:
            what = "no ask node fills that slot" if root == "slots" else "no such field"
            listed = ", ".join(f"{root}.{field}" for field in sorted(known[root])) or "none"
            found.append(f"the expression reads {name!r}: {what} (known: {listed})")
    return found
