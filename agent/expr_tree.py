"""The tree a condition parses into, and its evaluation: :class:`Expression` holds a
:data:`Node`; :func:`truthy` and :func:`compare` give the value rules. The language and
those rules are described in :mod:`.expr`, whose parser builds these trees."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from typing import Literal

Scalar = str | int | float | bool | None
Env = Mapping[str, Mapping[str, object]]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]


# --- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant:
    value: Scalar


@dataclass(frozen=True)
class Variable:
    path: tuple[str, ...]  # the root, then at least one field


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Membership:
    left: Node
    items: tuple[Scalar, ...]
    negated: bool = False


Node = Constant | Variable | Not | BoolOp | Compare | Membership
_NULL = Constant(None)


@dataclass(frozen=True)
class Expression:
    """A parsed condition: evaluate it each turn against the call's variables."""

    source: str
    tree: Node

    def variables(self) -> frozenset[str]:
        """The dotted names it reads, e.g. ``{"slots.party_size", "call.seconds"}``."""
        return _names(self.tree)

    def evaluate(self, env: Env) -> bool:
        """Whether it holds, given ``{"slots": {...}, "call": {...}, ...}``. Never raises."""
        return truthy(_value(self.tree, env))

    def __str__(self) -> str:
        return self.source


def _names(node: Node) -> frozenset[str]:
    match node:
        case Variable(path=path):
            return frozenset({".".join(path)})
        case Not(operand=inner) | Membership(left=inner):
            return _names(inner)
        case Compare(left=left, right=right):
            return _names(left) | _names(right)
        case BoolOp(operands=operands):
            return frozenset().union(*map(_names, operands))
        case _:
            return frozenset()


def _value(node: Node, env: Env) -> object:
    match node:
        case Variable(path=path):
            value: object = env.get(path[0])
            for field in path[1:]:
                value = value.get(field) if isinstance(value, Mapping) else None
            return value
        case Not(operand=inner):
            return not truthy(_value(inner, env))
        case BoolOp(op=op, operands=operands):
            values = (truthy(_value(o, env)) for o in operands)  # lazy: short-circuits
            return all(values) if op == "and" else any(values)
        case Compare(op=op, left=left, right=right):
            a, b = _value(left, env), _value(right, env)
            if op in ("==", "!=") and _NULL in (left, right):  # a test for a missing value
                return (a is None and b is None) == (op == "==")
            return compare(op, a, b)
        case Membership(left=left, items=items, negated=negated):
            value = _value(left, env)
            if negated:
                return all(compare("!=", value, item) for item in items)
            return any(compare("==", value, item) for item in items)
        case Constant(value=value):
            return value


# --- values -----------------------------------------------------------------------------

_NUMERIC = re.compile(r"\s*-?\d+(?:\.\d+)?\s*")
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def as_number(value: object) -> int | float | None:
    """``value`` as a number if it is one or a numeric string (never a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        return float(value) if "." in value else int(value)
    return None


def truthy(value: object) -> bool:
    """Whether ``value`` counts as true in a condition (see :mod:`.expr`)."""
    number = as_number(value)
    if value is None or isinstance(value, bool) or number is not None:
        return bool(value if number is None else number)
    if isinstance(value, str):
        return value.strip().lower() not in ("", "no", "false")
    return len(value) > 0 if isinstance(value, Sized) else True


def compare(op: CompareOp, left: object, right: object) -> bool:
    """``left op right`` on two values by the rules of :mod:`.expr` (``None``
    equals only ``None``); never raises."""
    if left is None or right is None:
        return op == "==" and left is right
    a, b = as_number(left), as_number(right)
    if a is not None and b is not None:
        left, right = a, b
    elif type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
        return op == "!="
    try:
        if op in _ORDER:
            return bool(_ORDER[op](left, right))  # type: ignore[arg-type]
        return (left == right) == (op == "==")
    except TypeError:
        return False
