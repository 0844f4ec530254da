"""Jinja2 for configuration files: sandboxed, and unable to build huge values.

Jinja folds constant expressions while it compiles a template, so ``{{ 9**9**9 }}`` or
``{{ 'x' | center(999999999) }}`` in a flow or a tenant template hung or exhausted
memory as the file was loaded, before anything could refuse it. :class:`BoundedSandbox`
(a :class:`~jinja2.sandbox.SandboxedEnvironment`) intercepts ``*`` and ``**`` (so they
are never folded at compile time) and bounds them when a template renders, and bounds
every filter's numeric arguments and results. :func:`huge_constant_problems` finds the
expressions of a template that would build such a value from its constants alone, so a
loader refuses the file with the expression's line.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range

MAX_LENGTH = 100_000  # characters or items a repeated string or list may have
MAX_INT_BITS = 4096  # bits of an integer a power or product may have
MAX_ARGUMENT = 100_000  # a filter's numeric argument (a width, a count)


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


def _bounded_mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        size = _size(seq)
        if size is not None and isinstance(times, int) and size * times > MAX_LENGTH:
            raise SecurityError(f"repeating a value of {size} {times:,} times is too big")
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise SecurityError("the product of two numbers that large is too big")
    return operator.mul(left, right)


def _bounded_pow(left: Any, right: Any) -> Any:
    if isinstance(left, int | float) and isinstance(right, int | float) and abs(left) > 1:
        bits = abs(float(right)) * math.log2(abs(float(left)))
        if bits > MAX_INT_BITS:
            raise SecurityError(f"{left!r} ** {right!r} is too big")
    return operator.pow(left, right)


BOUNDED_BINOPS: dict[str, Callable[[Any, Any], Any]] = {"*": _bounded_mul, "**": _bounded_pow}


def _numbers(values: Iterator[object]) -> Iterator[int | float]:
    for value in values:
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield value


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    # the value filtered comes first, after the context or environment jinja passes
    skip = 2 if getattr(func, "jinja_pass_arg", None) is not None else 1

    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment marker
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for number in _numbers(iter((*args[skip:], *kwargs.values()))):
            if abs(number) > MAX_ARGUMENT:
                raise SecurityError(f"filter {name!r}: argument {number!r} is too big")
        result = func(*args, **kwargs)
        size = _size(result)
        if size is not None and size > 10 * MAX_LENGTH:
            raise SecurityError(f"filter {name!r} built a value of {size:,} items")
        return result

    return bounded


class BoundedSandbox(SandboxedEnvironment):
    """A sandbox in which no expression or filter builds a huge value (see the module)."""

    intercepted_binops = frozenset(BOUNDED_BINOPS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Context | None, operator: str, left: Any, right: Any) -> Any:
        bounded = BOUNDED_BINOPS.get(operator)
        if bounded is not None:
            return bounded(left, right)
        return super().call_binop(context, operator, left, right)  # type: ignore[arg-type]


@dataclass(frozen=True)
class HugeConstant:
    message: str
    line: int


class _Unknown(Exception):
    """The expression depends on something only known when the template renders."""


_PLAIN_BINOPS: dict[type[nodes.Node], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add,
    nodes.Sub: operator.sub,
    nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv,
    nodes.Mod: operator.mod,
}


class _Folder:
    """Evaluates constant expressions the way the sandbox would, bounded."""

    def __init__(self, env: BoundedSandbox) -> None:
        self.env = env

    def fold(self, node: nodes.Node) -> Any:
        if isinstance(node, nodes.Const):
            return node.value
        if isinstance(node, nodes.List | nodes.Tuple):
            items = [self.fold(item) for item in node.items]
            return tuple(items) if isinstance(node, nodes.Tuple) else items
        if isinstance(node, nodes.Neg | nodes.Pos):
            value = self.fold(node.node)
            return -value if isinstance(node, nodes.Neg) else +value
        if isinstance(node, nodes.Mul | nodes.Pow):
            op = "*" if isinstance(node, nodes.Mul) else "**"
            return self.env.call_binop(None, op, self.fold(node.left), self.fold(node.right))
        plain = _PLAIN_BINOPS.get(type(node))
        if plain is not None and isinstance(node, nodes.BinExpr):
            try:
                return plain(self.fold(node.left), self.fold(node.right))
            except (ArithmeticError, TypeError, ValueError) as e:
                raise _Unknown from e
        if isinstance(node, nodes.Concat):
            return "".join(str(self.fold(n)) for n in node.nodes)
        if isinstance(node, nodes.Filter):
            return self._filter(node)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            return self._call(node)
        raise _Unknown

    def _call(self, node: nodes.Call) -> Any:
        """``range(...)`` of constants (the one global that builds a sequence)."""
        if not isinstance(node.node, nodes.Name) or node.node.name != "range" or node.kwargs:
            raise _Unknown
        args = [self.fold(a) for a in node.args]
        try:
            return safe_range(*args)
        except OverflowError as e:
            raise SecurityError(str(e)) from e
        except (TypeError, ValueError) as e:
            raise _Unknown from e

    def _filter(self, node: nodes.Filter) -> Any:
        func = self.env.filters.get(node.name)
        if func is None or node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unknown
        if node.node is None:
            raise _Unknown
        args = [self.fold(node.node), *(self.fold(a) for a in node.args)]
        kwargs = {str(k.key): self.fold(k.value) for k in node.kwargs}
        if getattr(func, "jinja_pass_arg", None) is not None:
            raise _Unknown  # needs a context or environment: not a constant
        try:
            return func(*args, **kwargs)
        except SecurityError:
            raise
        except Exception as e:
            raise _Unknown from e


def huge_constant_problems(ast: nodes.Template, env: BoundedSandbox) -> list[HugeConstant]:
    """The expressions of ``ast`` that build a huge value from constants alone."""
    folder = _Folder(env)
    found: list[HugeConstant] = []
    for node in ast.find_all((nodes.BinExpr, nodes.Filter, nodes.UnaryExpr, nodes.Call)):
        try:
            folder.fold(node)
        except SecurityError as e:
            found.append(HugeConstant(f"the template builds a value too big: {e}", node.lineno))
        except (_Unknown, RecursionError):
            continue
    # an outer expression repeats its inner one's problem: keep one per line
    return list({p.line: p for p in reversed(found)}.values())[::-1]
