"""A small, safe expression language, compiled when a file loads: flows' transition
conditions and tenants' settings are written in it (it imports nothing of either).

::

    slots.party_size >= 2 and slots.party_size <= 8
    slots.topic in ["hours", "specials"] or not slots.wants_delivery

Grammar (lowest precedence first; keywords are lowercase)::

    expression := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
                          | ["not"] "in" "[" [literal ("," literal)* [","]] "]" ]
    operand    := literal | variable | "(" expression ")"
    literal    := NUMBER | STRING | "true" | "false" | "null"
    variable   := ROOT ("." NAME)+        ROOT is one of the caller's roots (slots, call, ...)
    NUMBER     := ["-"]DIGITS["."DIGITS]  no spaces inside: -2, 7.5
    STRING     := "..." | '...'           a backslash escapes the next character

The text is tokenized and parsed into frozen dataclasses; nothing is ever handed to
Python's ``eval``. Variables are read from plain mappings only (no attributes, calls or
indexing), and the text is limited to :data:`MAX_LENGTH` characters and
:data:`MAX_DEPTH` levels of nesting.

Evaluation never raises; its rules:

- A missing variable (or root, or a non-mapping on the way) is ``null`` (None).
- ``x == null`` and ``x != null`` test whether ``x`` is missing. Otherwise a comparison
  with a missing side is false, ``!=`` included: ``slots.email != ""`` means "an email
  was given and it is not empty".
- Numbers and numeric strings compare as numbers (slots are often strings, so
  ``"10" > 8`` holds); two other strings compare as strings; booleans only with booleans;
  values of one other type (two datetimes) as Python does; any other mix is unequal
  (only ``!=`` holds).
- ``x in [...]`` holds when ``x == item`` for some item; ``x not in [...]`` when
  ``x != item`` for every item: both are false for a missing ``x``.
- Truthiness: null, false, 0, empty, and the strings "no" and "false" (a ``yes_no`` slot
  holds "yes" or "no") are false; a numeric string is false only when it is 0.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, NoReturn

from .expr_tree import (
    BoolOp,
    Compare,
    CompareOp,
    Constant,
    Env,
    Expression,
    Membership,
    Node,
    Not,
    Scalar,
    Variable,
    as_number,
    compare,
    truthy,
)

__all__ = [
    "DEFAULT_ROOTS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BoolOp",
    "Compare",
    "CompareOp",
    "Constant",
    "Env",
    "Expression",
    "ExpressionError",
    "Membership",
    "Node",
    "Not",
    "Scalar",
    "Token",
    "TokenKind",
    "Variable",
    "as_number",
    "compare",
    "parse_expression",
    "tokenize",
    "truthy",
]

MAX_LENGTH = 500
MAX_DEPTH = 32
DEFAULT_ROOTS = frozenset({"slots", "call", "tenant"})


class ExpressionError(ValueError):
    """An expression that cannot be parsed; ``column`` counts from 1.

    A ``ValueError``, so when a pydantic validator raises it, the flow loader reports it
    as a validation error at the condition's ``file:line``."""

    def __init__(self, reason: str, *, expression: str, column: int) -> None:
        self.reason = reason
        self.expression = expression
        self.column = column
        shown = expression[:MAX_LENGTH].replace("\n", " ").replace("\t", " ")
        caret = " " * (column - 1) + "^"
        super().__init__(f"{reason} at column {column}\n  {shown}\n  {caret}")


# --- tokens -----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.)""",
    re.VERBOSE | re.DOTALL,
)
_HINTS = {"=": " (use '==')", "&": " (use 'and')", "|": " (use 'or')", "!": " (use 'not')"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_CONSTANTS: dict[str, Scalar] = {"true": True, "false": False, "null": None}
_RESERVED = frozenset({"and", "or", "not", "in", *_CONSTANTS})
_COMPARE_OPS: tuple[CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=")
TokenKind = Literal["number", "string", "name", "op", "end"]
_KINDS: tuple[TokenKind, ...] = ("number", "string", "name", "op")


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    found: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            reason = "unterminated string" if char in "\"'" else f"unexpected character {char!r}"
            raise ExpressionError(reason + _HINTS.get(char, ""), expression=text, column=pos + 1)
        kind = next((k for k in _KINDS if match.group(k) is not None), None)
        if kind is not None:
            found.append(Token(kind, match.group(), pos + 1))
        pos = match.end()
    return [*found, Token("end", "", len(text) + 1)]


# --- parsing ----------------------------------------------------------------------------


def parse_expression(text: str, *, roots: Collection[str] = DEFAULT_ROOTS) -> Expression:
    """Parse ``text``, whose variables must start with one of ``roots``.

    Raises :class:`ExpressionError` naming the column of the first problem."""
    if len(text) > MAX_LENGTH:
        reason = f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})"
        raise ExpressionError(reason, expression=text, column=MAX_LENGTH + 1)
    if not text.strip():
        raise ExpressionError("empty expression", expression=text, column=1)
    parser = _Parser(text, tokenize(text), frozenset(roots))
    tree = parser.expression(depth=0)
    if parser.peek().kind != "end":
        parser.fail()
    return Expression(text, tree)


class _Parser:
    """Recursive descent over the tokens; ``depth`` counts parentheses and ``not``s."""

    def __init__(self, text: str, tokens: list[Token], roots: frozenset[str]) -> None:
        self._text, self._tokens, self._roots, self._pos = text, tokens, roots, 0

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        return self._chain("or", lambda: self._chain("and", lambda: self._not(depth)))

    def _chain(self, op: Literal["and", "or"], operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self._accept(op):
            operands.append(operand())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands))

    def _not(self, depth: int) -> Node:
        if not self._accept("not"):
            return self._comparison(depth)
        if depth >= MAX_DEPTH:
            self.fail(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        return Not(self._not(depth + 1))

    def _comparison(self, depth: int) -> Node:
        left = self._operand(depth)
        token = self.peek()
        if token.kind == "name" and token.text in ("in", "not"):
            negated = self._accept("not")
            self._expect("in")
            node: Node = Membership(left, self._list(), negated)
        elif token.kind == "op" and token.text in _COMPARE_OPS:
            self._pos += 1
            op = _COMPARE_OPS[_COMPARE_OPS.index(token.text)]
            node = Compare(op, left, self._operand(depth))
        else:
            return left
        if self.peek().text in (*_COMPARE_OPS, "in"):
            self.fail("comparison chains are not supported (join them with 'and')")
        return node

    def _operand(self, depth: int) -> Node:
        token = self.peek()
        if self._accept("("):
            inner = self.expression(depth + 1)
            self._expect(")")
            return inner
        if token.kind == "name" and token.text not in _RESERVED:
            return self._variable()
        return Constant(self._literal())

    def _literal(self) -> Scalar:
        token = self.peek()
        self._pos += 1
        if token.kind == "string":
            return _ESCAPE.sub(r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "name" and token.text in _CONSTANTS:
            return _CONSTANTS[token.text]
        self._pos -= 1
        return self.fail()

    def _list(self) -> tuple[Scalar, ...]:
        if not self._accept("["):
            self.fail('expected a list such as ["a", "b"] after \'in\'')
        items: list[Scalar] = []
        while not self._accept("]"):
            items.append(self._literal())
            if self.peek().text != "]":
                self._expect(",")
        return tuple(items)

    def _variable(self) -> Variable:
        root = self.peek()
        if root.text not in self._roots:
            close = difflib.get_close_matches(root.text, self._roots, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(self._roots))
            self.fail(f"unknown variable {root.text!r}{hint}: variables start with {known}")
        self._pos += 1
        path = [root.text]
        while self._accept("."):
            if self.peek().kind != "name":
                self.fail()
            path.append(self.peek().text)
            self._pos += 1
        if len(path) == 1:
            self.fail(f"{root.text!r} needs a field, e.g. '{root.text}.name'", root)
        return Variable(tuple(path))

    def peek(self) -> Token:
        return self._tokens[self._pos]

    def _accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind in ("op", "name") and token.text == text:
            self._pos += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            self.fail(f"expected '{text}'" if self.peek().kind == "end" else None)

    def fail(self, reason: str | None = None, token: Token | None = None) -> NoReturn:
        token = token or self.peek()
        if reason is None:
            end = token.kind == "end"
            reason = "unexpected end of expression" if end else f"unexpected token {token.text!r}"
        raise ExpressionError(reason, expression=self._text, column=token.column)
