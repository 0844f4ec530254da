"""YAML files with line numbers: read them, validate them, and say where a problem is.

Shared by every file Frontdesk loads (flows, scenarios, tenants): YAML 1.2 booleans
(``yes``/``no`` stay strings), duplicate keys rejected, and pydantic ``loc``s mapped back
to ``file:line`` with the dotted field path.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import FileError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
Found = tuple[int, str, str]  # file line, field path, what

_BOOL = "tag:yaml.org,2002:bool"
MISSING = "required field is missing"


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) that rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value]
        for i, (key, _) in enumerate(node.value):
            if key.value in keys[:i]:
                problem = f"duplicate key {key.value!r}"
                raise yaml.constructor.ConstructorError(None, None, problem, key.start_mark)
        return super().construct_mapping(node, deep)


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(
    text: str, source: str, *, error: type[FileError], expected: str
) -> tuple[dict[str, Any], SourceLines]:
    """Parse ``text``; its top level must be a mapping (``expected`` says of what)."""
    loader = Yaml12Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark, context = e.problem_mark or e.context_mark, e.context_mark
        where = f" (line {context.line + 1})" if context is not None else ""
        problem = " ".join(p for p in (e.context and e.context + where, e.problem) if p)
        line = mark.line + 1 if mark is not None else None
        raise error(f"invalid YAML: {problem}", path=source, line=line) from e
    except yaml.YAMLError as e:
        raise error(f"invalid YAML: {e}", path=source) from e
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise error(f"expected {expected}", path=source, line=1)
    return data, SourceLines(root)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class SourceLines:
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

    def found(self, loc: Loc, message: str, template_line: int) -> Found:
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


def validation_problems(error: ValidationError, lines: SourceLines) -> list[Found]:
    errors = error.errors()
    found = [
        (*lines.locate(err["loc"], missing=err["type"] == "missing"), _describe(err, errors))
        for err in errors
    ]
    return sorted(found, key=lambda f: (f[2] == MISSING, f[0]))  # causes before effects


def by_line(found: Found) -> int:
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
            return MISSING
        case "union_tag_invalid" | "enum":
            name = str(ctx.get("discriminator", "value")).strip("'")
            expected = ctx.get("expected_tags", ctx.get("expected"))
            return f"unknown {name} {ctx.get('tag', err['input'])!r} (expected {expected})"
        case "value_error":
            return str(ctx.get("error", err["msg"]))
        case _:
            return err["msg"]


def problems_error(found: list[Found], source: str, error: type[FileError]) -> FileError:
    """One error naming the first problem's line, listing the rest."""
    (line, field, message), *rest = found
    more = "".join(f"\n  {source}:{ln}: {fd}: {msg}" for ln, fd, msg in rest)
    more = f"\n{len(rest)} more problem(s):{more}" if rest else ""
    return error(f"{field}: {message}{more}", path=source, line=line)


def read_source(path: Path, *, error: type[FileError], what: str) -> str:
    """The text of ``path``; a missing or unreadable file raises ``error`` naming it."""
    if not path.is_file():
        raise error(f"{what} not found", path=str(path))
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"cannot read {what}: {e}", path=str(path)) from e


def parse_model(
    text: str, source: str, model: type[M], *, error: type[FileError], expected: str
) -> tuple[M, SourceLines]:
    """YAML ``text`` validated as ``model``; every problem raises ``error`` with file:line."""
    data, lines = read_yaml(text, source, error=error, expected=expected)
    try:
        return model.model_validate(data), lines
    except ValidationError as e:
        raise problems_error(validation_problems(e, lines), source, error) from e
