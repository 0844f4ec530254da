"""YAML files with line numbers: read them, validate them, and say where a problem is.

Shared by every file Frontdesk loads (flows, scenarios, tenants, the price table): YAML
1.2 scalars (``yes``/``no`` and dates stay strings), duplicate keys rejected, and
pydantic ``loc``s mapped back to ``file:line`` with the dotted field path.

A file is untrusted input until it validates, so it is bounded before and while it is
parsed, and every refusal names ``file:line`` (never a traceback):

- size: at most :data:`MAX_FILE_BYTES` (checked before reading, and on the text);
- characters: no control characters (other than tab and line breaks), raw or escaped;
- shape: nesting at most :data:`MAX_DEPTH` deep, no recursive aliases, and aliases may
  expand the document to at most :data:`MAX_NODES` values (an alias bomb of 500 bytes
  made a 3.85 MB error message), all counted on the event stream before anything is
  built;
- values: a scalar that cannot be built (an integer of 5,000 digits) is an error at its
  line; messages are cut to a few hundred characters.
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
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
MISSING = "required field is missing"

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_MESSAGE = 300
MAX_LISTED = 20
# what YAML's reader refuses (PyYAML's NON_PRINTABLE), and the C0/C1 controls YAML lets
# through in escapes ("\x01"): nothing but tab and line breaks has a place in these files
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars (only true/false are booleans; no timestamps)
    that rejects duplicate keys, control characters in strings, and values it cannot
    build (each at its node's line)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [key.value for key, _ in node.value]
        for i, (key, _) in enumerate(node.value):
            if key.value in keys[:i]:
                problem = f"duplicate key {_cut(str(key.value))!r}"
                raise yaml.constructor.ConstructorError(None, None, problem, key.start_mark)
        return super().construct_mapping(node, deep)

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> Any:
        value = super().construct_scalar(node)
        found = _CONTROL.search(value) if isinstance(value, str) else None
        if found is not None:
            problem = f"control character U+{ord(found.group()):04X} in a string"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
        return value

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as e:
            problem = f"cannot read this value: {_cut(str(e))}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from e


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _cut(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, max(0, index)) + 1


def _event_line(event: yaml.Event) -> int:
    mark = event.start_mark
    return int(mark.line) + 1 if mark is not None else 1


def check_text(text: str, source: str, *, error: type[FileError]) -> None:
    """Refuse text too long for a Frontdesk file, or holding a control character."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 1024
        line = _line_at(text, MAX_FILE_BYTES)  # where the limit is crossed (at worst)
        raise error(f"file is {size:,} bytes, over the {limit} KiB limit", path=source, line=line)
    found = _UNPRINTABLE.search(text)
    if found is not None:
        at = found.start()
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        problem = f"control character U+{ord(found.group()):04X} at column {column}"
        raise error(f"{problem} (not allowed in YAML)", path=source, line=_line_at(text, at))


def check_shape(text: str, source: str, *, error: type[FileError]) -> None:
    """Walk the YAML event stream (no recursion, nothing built): refuse nesting deeper
    than :data:`MAX_DEPTH`, an alias inside its own anchor, and aliases that expand the
    document past :data:`MAX_NODES` values."""
    sizes: dict[str, int] = {}  # values each anchor stands for, aliases expanded
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, values so far)
    total = 0

    def add(count: int, event: yaml.Event) -> None:
        nonlocal total
        total += count
        if open_nodes:
            anchor, n = open_nodes[-1]
            open_nodes[-1] = (anchor, n + count)
        if total > MAX_NODES:
            problem = f"aliases expand the file past {MAX_NODES:,} values (an alias bomb?)"
            raise error(problem, path=source, line=_event_line(event))

    loader = Yaml12Loader(text)
    try:
        while (event := loader.get_event()) is not None:  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_nodes) >= MAX_DEPTH:
                    problem = f"nested more than {MAX_DEPTH} levels deep"
                    raise error(problem, path=source, line=_event_line(event))
                open_nodes.append((event.anchor, 1))
            elif isinstance(event, yaml.CollectionEndEvent) and open_nodes:
                anchor, count = open_nodes.pop()
                if anchor is not None:
                    sizes[anchor] = count
                add(count, event)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                add(1, event)
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    problem = f"alias *{_cut(str(event.anchor), 60)} is inside its own anchor"
                    raise error(problem, path=source, line=_event_line(event))
                add(sizes.get(str(event.anchor), 1), event)
    finally:
        loader.dispose()


def _yaml_error(e: yaml.YAMLError, text: str, source: str, error: type[FileError]) -> FileError:
    if isinstance(e, yaml.MarkedYAMLError):
        mark, context = e.problem_mark or e.context_mark, e.context_mark
        where = f" (line {context.line + 1})" if context is not None else ""
        problem = " ".join(p for p in (e.context and e.context + where, e.problem) if p)
        line = mark.line + 1 if mark is not None else 1
        return error(f"invalid YAML: {_cut(problem)}", path=source, line=line)
    position = getattr(e, "position", None)
    line = _line_at(text, position) if isinstance(position, int) else 1
    reason = getattr(e, "reason", None) or str(e).splitlines()[0]
    return error(f"invalid YAML: {_cut(str(reason))}", path=source, line=line)


def read_yaml(
    text: str, source: str, *, error: type[FileError], expected: str
) -> tuple[dict[str, Any], SourceLines]:
    """Parse ``text``; its top level must be a mapping (``expected`` says of what)."""
    check_text(text, source, error=error)
    loader: Yaml12Loader | None = None
    try:
        check_shape(text, source, error=error)
        loader = Yaml12Loader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as e:
        raise _yaml_error(e, text, source, error) from e
    except RecursionError as e:  # bounded by MAX_DEPTH; kept as a last guard
        raise error(f"nested too deeply (over {MAX_DEPTH} levels)", path=source, line=1) from e
    finally:
        if loader is not None:
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
    return _cut(_describe_in_full(err, errors))


def _describe_in_full(err: ErrorDetails, errors: list[ErrorDetails]) -> str:
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
            tag = _cut(repr(ctx.get("tag", err["input"])), 80)
            return f"unknown {name} {tag} (expected {expected})"
        case "value_error":
            return str(ctx.get("error", err["msg"]))
        case _:
            return err["msg"]


def problems_error(found: list[Found], source: str, error: type[FileError]) -> FileError:
    """One error naming the first problem's line, listing the rest (up to
    :data:`MAX_LISTED`)."""
    (line, field, message), *rest = found
    listed = rest[:MAX_LISTED]
    more = "".join(f"\n  {source}:{ln}: {_cut(fd, 120)}: {msg}" for ln, fd, msg in listed)
    if len(rest) > len(listed):
        more += f"\n  ... and {len(rest) - len(listed)} more"
    more = f"\n{len(rest)} more problem(s):{more}" if rest else ""
    return error(f"{_cut(field, 120)}: {message}{more}", path=source, line=line)


def read_source(path: Path, *, error: type[FileError], what: str) -> str:
    """The text of ``path``; a missing, unreadable or oversized file raises ``error``
    naming it."""
    if not path.is_file():
        raise error(f"{what} not found", path=str(path))
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            size, limit = path.stat().st_size, MAX_FILE_BYTES // 1024
            line = data.count(b"\n") + 1
            raise error(
                f"{what} is {size:,} bytes, over the {limit} KiB limit", path=str(path), line=line
            )
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise error(f"cannot read {what}: not UTF-8 ({e.reason})", path=str(path), line=line) from e
    except OSError as e:
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
