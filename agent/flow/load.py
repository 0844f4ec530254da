"""Load a flow file: YAML in, a validated :class:`~.model.Flow` out, or a FlowLoadError.

Loading is eager and complete, so a bad flow fails in CI or at worker start, never in a
call. Every error names ``file:line`` and the field path. Three phases:

1. YAML, read keeping every node's position, with YAML 1.2 booleans (``yes``/``no``
   stay strings: they are answers and conditions here) and no duplicate keys.
2. The pydantic models (:mod:`.model`): unknown fields, unknown kinds, bad values.
3. Cross-node checks: targets exist; every ask can always leave (a
   ``retries_exhausted`` transition, a transition for every answer); no say-only loops;
   unambiguous phrases; templates use only known variables.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..errors import FlowLoadError
from .match import condition_holds, phrase_problems
from .model import AskNode, EndNode, Flow, Keyword, SayNode
from .templates import node_template_problems

Loc = tuple[str | int, ...]
_Problem = tuple[Loc, str, int]  # where, what, line inside a template (0: not a template)
_Found = tuple[int, str, str]  # file line, field path, what

_BOOL = "tag:yaml.org,2002:bool"
_MISSING = "required field is missing"
_FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) that rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value]
        for i, (key, _) in enumerate(node.value):
            if key.value in keys[:i]:
                problem = f"duplicate key {key.value!r}"
                raise yaml.constructor.ConstructorError(None, None, problem, key.start_mark)
        return super().construct_mapping(node, deep)


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


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


def _load(path: Path) -> tuple[Flow, _Lines]:
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.yaml"))) or "none"
        message = f"flow file not found (flows dir: {path.parent}; flows there: {known})"
        raise FlowLoadError(message, path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FlowLoadError(f"cannot read flow file: {e}", path=str(path)) from e
    return _parse(text, str(path))


def _parse(text: str, source: str) -> tuple[Flow, _Lines]:
    data, lines = _read_yaml(text, source)
    try:
        flow = Flow.model_validate(data)
    except ValidationError as e:
        raise _error(_validation_problems(e, lines), source) from e
    problems = sorted((lines.found(*problem) for problem in _find_problems(flow)), key=_by_line)
    if problems:
        raise _error(problems, source)
    return flow, lines


# --- YAML with positions ----------------------------------------------------------------


def _read_yaml(text: str, source: str) -> tuple[object, _Lines]:
    loader = _Yaml12Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark, context = e.problem_mark or e.context_mark, e.context_mark
        where = f" (line {context.line + 1})" if context is not None else ""
        problem = " ".join(p for p in (e.context and e.context + where, e.problem) if p)
        line = mark.line + 1 if mark is not None else None
        raise FlowLoadError(f"invalid YAML: {problem}", path=source, line=line) from e
    except yaml.YAMLError as e:
        raise FlowLoadError(f"invalid YAML: {e}", path=source) from e
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        message = "a flow file is a mapping with version, id, start and nodes"
        raise FlowLoadError(message, path=source, line=1)
    return data, _Lines(root)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Lines:
    """Maps a pydantic ``loc`` back to the YAML line it came from."""

    def __init__(self, root: yaml.Node) -> None:
        self._root = root

    def locate(self, loc: Loc, *, missing: bool = False) -> tuple[int, str]:
        """The line of the deepest part of ``loc`` in the file, and the dotted field path.

        Parts absent from the file (union tags) are left out of the path, except the
        last one when it names a ``missing`` field, reported at its parent's line.
        """
        line, parts, _ = self._walk(loc)
        if missing and loc:
            parts.append(str(loc[-1]))
        return line, ".".join(parts) or "(top level)"

    def found(self, loc: Loc, message: str, template_line: int) -> _Found:
        line, parts, node = self._walk(loc)
        if template_line > 0 and isinstance(node, yaml.ScalarNode):
            line = _line(node) + int(node.style in ("|", ">")) + template_line - 1
        return line, ".".join(parts), message

    def _walk(self, loc: Loc) -> tuple[int, list[str], yaml.Node]:
        node, line, parts = self._root, _line(self._root), []
        for key in loc:
            child = _child(node, key)
            if child is not None:
                line, node = child
                parts.append(str(key))
        return line, parts, node


def _child(node: yaml.Node, key: str | int) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return _line(k), v
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return _line(node.value[key]), node.value[key]
    return None


def _validation_problems(error: ValidationError, lines: _Lines) -> list[_Found]:
    errors = error.errors()
    found = [
        (*lines.locate(err["loc"], missing=err["type"] == "missing"), _describe(err, errors))
        for err in errors
    ]
    return sorted(found, key=lambda f: (f[2] == _MISSING, f[0]))  # causes before effects


def _by_line(found: _Found) -> int:
    return found[0]


def _describe(err: ErrorDetails, errors: list[ErrorDetails]) -> str:
    ctx = err.get("ctx", {})
    match err["type"]:
        case "extra_forbidden":
            siblings = [e["loc"] for e in errors if e["type"] == "missing"]
            missing = [str(loc[-1]) for loc in siblings if loc[:-1] == err["loc"][:-1]]
            close = difflib.get_close_matches(str(err["loc"][-1]), missing, n=1)
            return "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
        case "missing":
            return _MISSING
        case "union_tag_invalid" | "enum":
            name = str(ctx.get("discriminator", "value")).strip("'")
            expected = ctx.get("expected_tags", ctx.get("expected"))
            return f"unknown {name} {ctx.get('tag', err['input'])!r} (expected {expected})"
        case "value_error":
            return str(ctx.get("error", err["msg"]))
        case _:
            return err["msg"]


def _error(found: list[_Found], source: str) -> FlowLoadError:
    (line, field, message), *rest = found
    more = "".join(f"\n  {source}:{ln}: {fd}: {msg}" for ln, fd, msg in rest)
    more = f"\n{len(rest)} more problem(s):{more}" if rest else ""
    return FlowLoadError(f"{field}: {message}{more}", path=source, line=line)


# --- cross-node checks ------------------------------------------------------------------


def _find_problems(flow: Flow) -> list[_Problem]:
    problems = _target_problems(flow) + _say_loop_problems(flow)
    for node_id, node in flow.nodes.items():
        problems += [
            (("nodes", node_id, *field), problem.message, problem.line)
            for field, problem in node_template_problems(node, slots=flow.declared_slots())
        ]
        if isinstance(node, AskNode):
            problems += _ask_problems(flow, node_id, node)
    return problems


def _target_problems(flow: Flow) -> list[_Problem]:
    targets: list[tuple[Loc, str]] = [(("start",), flow.start)]
    for node_id, node in flow.nodes.items():
        if isinstance(node, SayNode):
            targets.append((("nodes", node_id, "next"), node.next))
        elif isinstance(node, AskNode):
            where = ("nodes", node_id, "transitions")
            targets += [((*where, i, "to"), t.to) for i, t in enumerate(node.transitions)]
    goodbye = flow.globals.goodbye
    if goodbye is not None:
        targets.append((("globals", "goodbye", "to"), goodbye.to))
    found = [(loc, _unknown_node(flow, to), 0) for loc, to in targets if to not in flow.nodes]
    end = flow.nodes.get(goodbye.to) if goodbye is not None else None
    if end is not None and not isinstance(end, EndNode):
        found.append((("globals", "goodbye", "to"), "goodbye must go to an end node", 0))
    return found


def _unknown_node(flow: Flow, target: str) -> str:
    close = difflib.get_close_matches(target, list(flow.nodes), n=1)
    return f"unknown node {target!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _say_loop_problems(flow: Flow) -> list[_Problem]:
    found: list[_Problem] = []
    in_loops: set[str] = set()
    for first in flow.nodes:
        chain: list[str] = []
        current, node = first, flow.nodes.get(first)
        while isinstance(node, SayNode) and current not in chain:
            chain.append(current)
            current, node = node.next, flow.nodes.get(node.next)
        if current == first and chain and first not in in_loops:
            in_loops.update(chain)
            loop = " -> ".join([*chain, first])
            found.append((("nodes", chain[-1], "next"), f"say nodes loop forever: {loop}", 0))
    return found


def _ask_problems(flow: Flow, node_id: str, ask: AskNode) -> list[_Problem]:
    where: Loc = ("nodes", node_id, "transitions")
    found: list[_Problem] = [
        ((*where, i, "when"), message, 0)
        for i, t in enumerate(ask.transitions)
        if (message := ask.condition_problem(t.when, flow.declared_slots()))
    ]
    if all(t.when is not Keyword.RETRIES_EXHAUSTED for t in ask.transitions):
        found.append((where, "needs a 'retries_exhausted' transition (when nothing matched)", 0))
    for answer in ask.answers():
        if not any(condition_holds(t.when, ask, {ask.slot: answer}) for t in ask.transitions):
            found.append((where, f"no transition for the answer {answer!r}", 0))
    found += [
        (("nodes", node_id, "choices", value, index), message, 0)
        for value, index, message in phrase_problems(ask, flow.globals)
    ]
    return found
