"""A seeded mutation fuzzer for the YAML files Frontdesk loads: flows and tenants.

Each mutant is a shipped file with one mutation. Some mutations make the file invalid by
construction (a control character, nesting 2,000 deep, an alias bomb, a value of the
wrong type, an unknown key, an unknown timezone, a template that folds to a huge
constant, a file over the size limit): the loader must refuse those. Others may or may
not leave it valid (a truncated file, a deleted line): the loader may take them or
refuse them. Every mutant is loaded in a child process with a time and memory limit,
and its outcome is one of:

- ``accepted``: it loaded (for a tenant: ``load_tenant`` and ``check_tenant`` found nothing);
- ``error``: a :class:`~agent.errors.FileError` (or, for a tenant, a check problem),
  with or without ``file:line``;
- ``traceback``: any other exception (a crash the user would see as a stack trace);
- ``hang``: no answer within the time limit (the child is killed).

:func:`fuzz` returns the outcomes; :func:`table` counts them the way issue 20 reported
them: mutants, tracebacks, accepted although invalid, errors without a line, hangs.
Used by ``tests/unit/test_yaml_fuzz.py`` (bounded) and ``bench/yaml_fuzz.py``.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import random
import re
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

import yaml

Target = Literal["flow", "tenant"]
Kind = Literal["accepted", "error", "traceback", "hang"]
# a mutation: (rng, the seed text, its nodes) -> (mutated text, invalid?) or None (n/a)
Mutation = Callable[[random.Random, str, "SeedNodes"], "tuple[str, bool | None] | None"]

CONTROL = [chr(c) for c in (*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80, 0x9F)]
BAD_TIMEZONES = ["Europe", "America", "Mars/Olympus", "../../etc/passwd", "Europe/", "right"]
JINJA_BOMBS = [
    "{{ 9 ** (9 ** 9) }}",
    "{{ 'a' * 10**9 }}",
    "{{ 'x' | center(999999999) }}",
    "{{ (('a' * 1000) * 1000) * 1000 }}",
    "{{ range(10**9) | list }}",
    "{{ 10 ** 100000 }}",
    "{{ 'ab' * 999999999 }}",
]
TEMPLATE_KEYS = frozenset({"text", "prompt", "outside_hours", "consent", "unknown"})


@dataclass(frozen=True)
class SeedNodes:
    """Where the seed's scalars and mappings are (from the YAML composer)."""

    scalars: list[tuple[str, int, int, int]]  # key, start, end, indent of the value
    mappings: list[tuple[int, int]]  # (offset of a key line's start, indent)


@dataclass(frozen=True)
class Mutant:
    target: Target
    seed: str  # the shipped file it came from
    mutation: str
    text: str
    invalid: bool | None  # True: invalid by construction; None: either way


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    kind: Kind
    has_line: bool = True  # for errors: names file:line
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Table:
    mutants: int = 0
    tracebacks: int = 0
    accepted_invalid: int = 0
    errors_without_line: int = 0
    hangs: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def row(self) -> tuple[int, int, int, int, int]:
        return (
            self.mutants,
            self.tracebacks,
            self.accepted_invalid,
            self.errors_without_line,
            self.hangs,
        )


def _nodes(text: str) -> SeedNodes:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    scalars: list[tuple[str, int, int, int]] = []
    mappings: list[tuple[int, int]] = []

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if node.flow_style is False or node.flow_style is None:
                    line_start = text.rfind("\n", 0, key.start_mark.index) + 1
                    if text[line_start : key.start_mark.index].strip() == "":
                        mappings.append((line_start, key.start_mark.column))
                if isinstance(value, yaml.ScalarNode) and isinstance(key, yaml.ScalarNode):
                    scalars.append(
                        (str(key.value), value.start_mark.index, value.end_mark.index, 0)
                    )
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)

    if root is not None:
        walk(root)
    return SeedNodes(scalars, mappings)


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


# --- mutations --------------------------------------------------------------------------


def m_control_char(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    at = rng.randrange(len(text))
    return text[:at] + rng.choice(CONTROL) + text[at:], True


def m_escaped_control(
    rng: random.Random, text: str, nodes: SeedNodes
) -> tuple[str, bool | None] | None:
    if not nodes.scalars:
        return None
    _, start, end, _ = rng.choice(nodes.scalars)
    code = ord(rng.choice([c for c in CONTROL if c not in "\x85"]))
    return _replace(text, start, end, f'"value \\x{code:02x} here"'), True


def m_deep_nesting(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None]:
    depth = rng.randint(1001, 5000)
    value = "[" * depth + "]" * depth if rng.random() < 0.5 else "{a: " * depth + "1" + "}" * depth
    if nodes.scalars and rng.random() < 0.5:
        _, start, end, _ = rng.choice(nodes.scalars)
        return _replace(text, start, end, value), True
    return text + f"\nzz_nested: {value}\n", True


def m_block_nesting(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    depth = rng.randint(200, 1200)
    lines = "".join(f"{' ' * i}k{i}:\n" for i in range(depth)) + " " * depth + "v: 1\n"
    return text + "\nzz_block:\n" + "".join(" " + line for line in lines), True


def m_alias_bomb(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None]:
    levels = rng.randint(6, 12)
    width = rng.randint(6, 10)
    bomb = ["zz_lol0: &l0 [lol, lol]"]
    for i in range(1, levels):
        bomb.append(f"zz_lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    if nodes.scalars and rng.random() < 0.5:
        _, start, end, _ = rng.choice(nodes.scalars)
        return "\n".join(bomb) + "\n" + _replace(text, start, end, f"*l{levels - 1}"), True
    return "\n".join(bomb) + "\n" + text + f"\nzz_bomb: *l{levels - 1}\n", True


def m_huge_file(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    filler = "# " + "x" * 1000 + "\n"
    return text + filler * rng.randint(1100, 2500), True


def m_wrong_type(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None] | None:
    if not nodes.scalars:
        return None
    _, start, end, _ = rng.choice(nodes.scalars)
    return _replace(text, start, end, "{zz_wrong: 1}"), True


def m_unknown_key(
    rng: random.Random, text: str, nodes: SeedNodes
) -> tuple[str, bool | None] | None:
    if not nodes.mappings:
        return None
    at, indent = rng.choice(nodes.mappings)
    return text[:at] + " " * indent + f"zz_unknown_{rng.randint(0, 999)}: 1\n" + text[at:], True


def m_timezone(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None] | None:
    spots = [(s, e) for k, s, e, _ in nodes.scalars if k == "timezone"]
    if not spots:
        return None
    start, end = rng.choice(spots)
    return _replace(text, start, end, f"'{rng.choice(BAD_TIMEZONES)}'"), True


def m_jinja_bomb(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None] | None:
    spots = [(s, e) for k, s, e, _ in nodes.scalars if k in TEMPLATE_KEYS]
    if not spots:
        return None
    start, end = rng.choice(spots)
    return _replace(text, start, end, f'"{rng.choice(JINJA_BOMBS)}"'), True


def m_huge_int(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None] | None:
    spots = [(s, e) for _, s, e, _ in nodes.scalars if re.fullmatch(r"-?\d+(\.\d+)?", text[s:e])]
    if not spots:
        return None
    start, end = rng.choice(spots)
    return _replace(text, start, end, "9" * rng.randint(5000, 20000)), True


def m_bad_date(rng: random.Random, text: str, nodes: SeedNodes) -> tuple[str, bool | None] | None:
    if not nodes.scalars:
        return None
    _, start, end, _ = rng.choice(nodes.scalars)
    value = rng.choice(["2026-13-45", "2026-02-30 25:61:00", "0000-00-00"])
    return _replace(text, start, end, value), None


def m_empty(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    return rng.choice(["", "   \n", "# only a comment\n", "- a\n- b\n", "just a string\n"]), True


def m_truncate(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    return text[: rng.randrange(len(text))], None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def m_delete_line(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    lines = _lines(text)
    del lines[rng.randrange(len(lines))]
    return "".join(lines), None


def m_duplicate_line(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return "".join(lines), None


def m_tab_indent(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    lines = _lines(text)
    indented = [i for i, line in enumerate(lines) if line.startswith("  ")]
    if not indented:
        return text, None
    i = rng.choice(indented)
    lines[i] = "\t" + lines[i].lstrip(" ")
    return "".join(lines), None


def m_punctuation(rng: random.Random, text: str, _: SeedNodes) -> tuple[str, bool | None]:
    at = rng.randrange(len(text))
    junk = "".join(rng.choice(":{}[]&*!|>'\"%@`,#?-") for _ in range(rng.randint(1, 4)))
    return text[:at] + junk + text[at:], None


def m_undefined_alias(
    rng: random.Random, text: str, nodes: SeedNodes
) -> tuple[str, bool | None] | None:
    if not nodes.scalars:
        return None
    _, start, end, _ = rng.choice(nodes.scalars)
    return _replace(text, start, end, rng.choice(["*nowhere", "<<: *nope"])), True


MUTATIONS: dict[str, Mutation] = {
    "control_char": m_control_char,
    "escaped_control": m_escaped_control,
    "deep_nesting": m_deep_nesting,
    "block_nesting": m_block_nesting,
    "alias_bomb": m_alias_bomb,
    "huge_file": m_huge_file,
    "wrong_type": m_wrong_type,
    "unknown_key": m_unknown_key,
    "timezone": m_timezone,
    "jinja_bomb": m_jinja_bomb,
    "huge_int": m_huge_int,
    "bad_date": m_bad_date,
    "empty": m_empty,
    "truncate": m_truncate,
    "delete_line": m_delete_line,
    "duplicate_line": m_duplicate_line,
    "tab_indent": m_tab_indent,
    "punctuation": m_punctuation,
    "undefined_alias": m_undefined_alias,
}


def seeds(code_root: Path, target: Target) -> list[Path]:
    if target == "flow":
        return sorted((code_root / "flows").glob("*.yaml"))
    return sorted((code_root / "tenants").glob("*/tenant.yaml"))


def mutants(code_root: Path, target: Target, count: int, seed: int) -> Iterator[Mutant]:
    """``count`` mutants of the shipped files of ``target``, the same for the same seed."""
    rng = random.Random(f"{target}:{seed}")
    files = [(p, p.read_text(encoding="utf-8")) for p in seeds(code_root, target)]
    parsed = [(p, text, _nodes(text)) for p, text in files]
    names = sorted(MUTATIONS)
    made = 0
    while made < count:
        path, text, nodes = rng.choice(parsed)
        name = names[made % len(names)] if made < len(names) * 2 else rng.choice(names)
        result = MUTATIONS[name](rng, text, nodes)
        if result is None:
            name = "wrong_type"
            result = MUTATIONS[name](rng, text, nodes)
            assert result is not None
        mutated, invalid = result
        if mutated == text:
            continue
        made += 1
        seed_name = path.parent.name if target == "tenant" else path.stem
        yield Mutant(target, seed_name, name, mutated, invalid)


# --- running a mutant in a child process --------------------------------------------


def _child(conn: Connection, code_root: str, memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import sys

    sys.path.insert(0, code_root)
    from agent.errors import FileError
    from agent.flow.load import load_flow
    from agent.tenants.check import check_tenant
    from agent.tenants.load import load_tenant

    root = Path(code_root)
    while True:
        job = conn.recv()
        if job is None:
            return
        target, path_text = job
        path = Path(path_text)
        try:
            if target == "flow":
                load_flow(path)
                problems: list[str] = []
            else:
                tenant = load_tenant(path.parent.parent, path.parent.name)
                problems = check_tenant(tenant, root / "flows")
        except FileError as e:
            first = str(e).splitlines()[0] if str(e) else ""
            line = getattr(e, "line", None)
            conn.send(("error", line is not None and first.startswith(f"{path}:{line}:"), first))
            continue
        except BaseException as e:  # what the fuzzer is looking for
            conn.send(("traceback", False, f"{type(e).__name__}: {str(e)[:200]}"))
            continue
        if problems:
            first = problems[0].splitlines()[0]
            conn.send(("error", bool(re.match(r"^\S+?:\d+: ", first)), first))
        else:
            conn.send(("accepted", True, ""))


class Runner:
    """One child process that loads mutants; restarted after a hang or a crash."""

    def __init__(self, code_root: Path, *, timeout_s: float, memory_mb: int = 1536) -> None:
        self.code_root, self.timeout_s, self.memory_mb = code_root, timeout_s, memory_mb
        self._ctx = mp.get_context("spawn")
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="yaml-fuzz-"))

    def _start(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        ours, theirs = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_child, args=(theirs, str(self.code_root), self.memory_mb), daemon=True
        )
        self._proc.start()
        self._conn = ours
        return ours

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(10)
        self._proc = self._conn = None

    def run(self, mutant: Mutant) -> Outcome:
        path = self._write(mutant)
        conn = self._start()
        started = time.monotonic()
        conn.send((mutant.target, str(path)))
        if not conn.poll(self.timeout_s):
            self._kill()
            return Outcome(mutant, "hang", detail=f"no answer in {self.timeout_s:g} s")
        try:
            kind, has_line, detail = conn.recv()
        except EOFError:  # the child died (a C-level crash, the memory limit)
            self._kill()
            return Outcome(mutant, "traceback", False, "the loading process died")
        return Outcome(mutant, kind, has_line, detail, time.monotonic() - started)

    def _write(self, mutant: Mutant) -> Path:
        if mutant.target == "flow":
            path = self.workdir / "flows" / f"{mutant.seed}.yaml"
        else:
            folder = self.workdir / "tenants" / mutant.seed
            if not folder.exists():  # the tenant's other files (prompts, templates)
                source = self.code_root / "tenants" / mutant.seed
                shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".index"))
            path = folder / "tenant.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(mutant.text, encoding="utf-8")
        return path

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def fuzz(
    code_root: Path, target: Target, *, count: int, seed: int, timeout_s: float = 20.0
) -> list[Outcome]:
    runner = Runner(code_root, timeout_s=timeout_s)
    try:
        return [runner.run(m) for m in mutants(code_root, target, count, seed)]
    finally:
        runner.close()


def table(outcomes: list[Outcome]) -> Table:
    t = Table(mutants=len(outcomes))

    def note(kind: str, outcome: Outcome) -> None:
        found = t.examples.setdefault(kind, [])
        if len(found) < 5:
            found.append(f"{outcome.mutant.seed}/{outcome.mutant.mutation}: {outcome.detail}")

    for o in outcomes:
        if o.kind == "traceback":
            t.tracebacks += 1
            note("traceback", o)
        elif o.kind == "hang":
            t.hangs += 1
            note("hang", o)
        elif o.kind == "accepted" and o.mutant.invalid:
            t.accepted_invalid += 1
            note("accepted-invalid", o)
        elif o.kind == "error" and not o.has_line:
            t.errors_without_line += 1
            note("error-without-line", o)
    return t
