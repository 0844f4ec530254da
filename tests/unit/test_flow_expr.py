"""Transition conditions: parsing, evaluation semantics, and errors that point at a column."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from agent.expr import (
    MAX_DEPTH,
    MAX_LENGTH,
    BoolOp,
    Compare,
    Constant,
    Env,
    Expression,
    ExpressionError,
    Membership,
    Not,
    Variable,
    compare,
    parse_expression,
    truthy,
)

pytestmark = pytest.mark.unit

BOOKING: Env = {
    "slots": {
        "party_size": "10",  # slots filled from speech are strings
        "topic": "hours",
        "wants_delivery": "no",
        "email": "jane@example.com",
        "name": "Jane",
        "a": 0,
        "b": "yes",
    },
    "call": {"seconds": 75, "caller": {"country": "GB"}},
    "tenant": {"name": "Crumb & Co"},
}


def holds(text: str, env: Env = BOOKING) -> bool:
    return parse_expression(text).evaluate(env)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slots.party_size > 8", True),
        ("slots.party_size > 10", False),
        ("slots.party_size >= 2 and slots.party_size <= 8", False),
        ("slots.party_size >= 2 and slots.party_size <= 12", True),
        ('slots.topic == "hours"', True),
        ("slots.topic == 'specials'", False),
        ('slots.topic in ["hours", "specials"]', True),
        ("slots.topic in ['order', 'specials',]", False),
        ('slots.topic not in ["order"]', True),
        ("slots.topic in []", False),
        ("not slots.wants_delivery", True),
        ('slots.email != ""', True),
        ("(slots.a > 1 or slots.b) and call.seconds > 60", True),
        ("(slots.a > 1 or slots.b) and call.seconds > 90", False),
        ("slots.a > 1 or slots.b and call.seconds > 90", False),
        ("slots.b or slots.a > 1 and call.seconds > 90", True),  # and binds tighter than or
        ("slots.b and slots.a or call.seconds > 60", True),
        ("slots.name", True),
        ("slots.nobody", False),
        ("not not slots.name", True),
        ("call.caller.country == 'GB'", True),
        ("tenant.name == 'Crumb & Co'", True),
        ("true", True),
        ("false or null", False),
        ("slots.party_size == 10.0", True),
        ("slots.a == -0", True),
        ("call.seconds > -5", True),
        ('slots.topic == "h\\"ours"', False),
        ("slots.topic == 'hou' or 1", True),
        ("  slots.party_size\n  > 8  ", True),
    ],
)
def test_conditions_from_flows(text: str, expected: bool) -> None:
    assert holds(text) is expected


def test_variables_are_the_dotted_names_read() -> None:
    expression = parse_expression("(slots.a > 1 or not slots.b) and call.caller.country in ['GB']")
    assert expression.variables() == frozenset({"slots.a", "slots.b", "call.caller.country"})
    assert parse_expression("true").variables() == frozenset()
    assert parse_expression("slots.a == slots.a").variables() == frozenset({"slots.a"})


def test_tree_shape() -> None:
    a, b, c = (Variable(("slots", name)) for name in "abc")
    assert parse_expression("slots.a or slots.b and not slots.c").tree == BoolOp(
        "or", (a, BoolOp("and", (b, Not(c))))
    )
    assert parse_expression("(slots.a or slots.b) and slots.c == -1.5").tree == BoolOp(
        "and", (BoolOp("or", (a, b)), Compare("==", c, Constant(-1.5)))
    )
    assert parse_expression("slots.a not in ['x', 2, true, null]").tree == Membership(
        a, ("x", 2, True, None), negated=True
    )


def test_an_expression_is_a_frozen_value_compiled_once() -> None:
    first, second = parse_expression("slots.a > 1"), parse_expression("slots.a > 1")
    assert first == second
    assert hash(first) == hash(second)
    assert str(first) == "slots.a > 1"
    with pytest.raises(AttributeError):
        first.source = "true"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("slots.party_size > 8", {}, False),  # missing root
        ("slots.party_size > 8", {"slots": {}}, False),  # missing slot
        ("slots.party_size <= 8", {"slots": {}}, False),
        ("slots.party_size == null", {"slots": {}}, True),
        ("slots.party_size != null", {"slots": {}}, False),
        ("null == slots.party_size", {"slots": {}}, True),
        ("slots.party_size != null", {"slots": {"party_size": 0}}, True),
        ("slots.party_size == null", {"slots": {"party_size": 0}}, False),
        ("null != null", {}, False),
        ("slots.party_size != null", {"slots": {"party_size": 3}}, True),
        ('slots.email != ""', {"slots": {}}, False),  # != with a missing value is false too
        ('slots.email != ""', {"slots": {"email": ""}}, False),
        ('slots.topic in ["a"]', {"slots": {}}, False),
        ('slots.topic not in ["a"]', {"slots": {}}, False),
        ("call.caller.country == 'GB'", {"call": {"caller": "GB"}}, False),  # not a mapping
        ("slots.__class__", {"slots": {}}, False),  # keys only, never attributes
        ("slots.when > slots.start", {"slots": {"when": datetime(2025, 1, 2, tzinfo=UTC),
                                                 "start": datetime(2025, 1, 1, tzinfo=UTC)}}, True),
        ("slots.when > slots.start", {"slots": {"when": datetime(2025, 1, 2, tzinfo=UTC),
                                                 "start": datetime(2025, 1, 1)}}, False),
    ],
)  # fmt: skip
def test_evaluation_never_raises(text: str, env: Env, expected: bool) -> None:
    assert parse_expression(text).evaluate(env) is expected


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        (">", "5", 3, True),  # numeric strings are numbers
        ("<", "10", "9", False),  # ... even against each other
        ("==", "08", 8, True),
        ("==", "8", "8.0", True),
        (">", "abc", 3, False),  # not a number: every comparison is false but !=
        ("<", "abc", 3, False),
        ("==", "abc", 3, False),
        ("!=", "abc", 3, True),
        ("<", "apple", "banana", True),  # two words compare as strings
        ("==", True, 1, False),  # booleans only equal booleans
        ("!=", True, 1, True),
        (">", True, 0, False),
        ("==", True, True, True),
        (">", None, 3, False),
        ("<", None, 3, False),
        ("==", None, None, True),
        ("!=", None, None, False),
        ("==", None, "", False),
        ("<", datetime(2025, 1, 1), datetime(2025, 1, 1, tzinfo=UTC), False),  # TypeError caught
        ("==", [1], [1], True),
        ("<", [1], "x", False),
    ],
)
def test_compare(op: str, left: object, right: object, expected: bool) -> None:
    assert compare(op, left, right) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (2, True),
        ("", False),
        ("  ", False),
        ("no", False),
        ("No", False),
        ("false", False),
        ("0", False),
        ("yes", True),
        ("jane", True),
        ("12", True),
        ([], False),
        (["x"], True),
        (datetime(2025, 1, 1, tzinfo=UTC), True),
    ],
)
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


def test_custom_roots() -> None:
    expression = parse_expression("order.total > 20", roots={"order"})
    assert expression.evaluate({"order": {"total": "25.50"}}) is True
    with pytest.raises(ExpressionError, match="unknown variable 'slots'"):
        parse_expression("slots.a", roots={"order"})


@pytest.mark.parametrize(
    ("text", "reason", "column"),
    [
        ("slots.a > > 3", "unexpected token '>'", 11),
        ("slots.party_size > > 8", "unexpected token '>'", 20),
        ("slots.a = 3", "unexpected character '=' (use '==')", 9),
        ("slots.a && slots.b", "unexpected character '&' (use 'and')", 9),
        ("!slots.a", "unexpected character '!' (use 'not')", 1),
        ("slots.a == 'open", "unterminated string", 12),
        ("slots.a $ 1", "unexpected character '$'", 9),
        ("slot.a > 1", "unknown variable 'slot' (did you mean 'slots'?)", 1),
        ("1 < caller.seconds", "unknown variable 'caller' (did you mean 'call'?)", 5),
        ("foo", "unknown variable 'foo'", 1),
        ("slots", "'slots' needs a field, e.g. 'slots.name'", 1),
        ("slots.", "unexpected end of expression", 7),
        ("slots.1", "unexpected token '1'", 7),
        ("(slots.a > 1", "expected ')'", 13),
        ("(slots.a > 1 slots.b)", "unexpected token 'slots'", 14),
        ("slots.a in 'abc'", "expected a list such as", 12),
        ("slots.a in [slots.b]", "unexpected token 'slots'", 13),
        ("slots.a in ['x' 'y']", "unexpected token \"'y'\"", 17),
        ("slots.a in ['x',", "unexpected end of expression", 17),
        ("slots.a not slots.b", "unexpected token 'slots'", 13),
        ("1 < slots.a < 3", "comparison chains are not supported", 13),
        ("slots.a == 1 in [1]", "comparison chains are not supported", 14),
        ("slots.a and", "unexpected end of expression", 12),
        ("and slots.a", "unexpected token 'and'", 1),
        ("slots.a slots.b", "unexpected token 'slots'", 9),
        ("true.x", "unexpected token '.'", 5),
        ("", "empty expression", 1),
        ("   ", "empty expression", 1),
        ("__import__('os')", "unknown variable '__import__'", 1),
        ("slots.a.__class__()", "unexpected token '('", 18),
        ("slots.a[0]", "unexpected token '['", 8),
    ],
)  # fmt: skip
def test_syntax_errors_name_the_column(text: str, reason: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    error = caught.value
    assert error.reason.startswith(reason)
    assert error.column == column
    assert error.expression == text
    assert f" at column {column}\n" in str(error)


def test_error_message_shows_a_caret_under_the_column() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("slots.party_size > > 8")
    assert str(caught.value) == (
        "unexpected token '>' at column 20\n  slots.party_size > > 8\n                     ^"
    )


def test_error_is_a_value_error() -> None:
    """So a pydantic validator that parses a condition reports it as a validation error."""
    assert issubclass(ExpressionError, ValueError)


def test_too_long() -> None:
    text = " or ".join(["slots.a"] * 100)
    assert len(text) > MAX_LENGTH
    with pytest.raises(ExpressionError, match="too long") as caught:
        parse_expression(text)
    assert caught.value.column == MAX_LENGTH + 1
    assert isinstance(parse_expression(text[:MAX_LENGTH].rsplit(" or", 1)[0]), Expression)


@pytest.mark.parametrize(
    ("make", "ok"),
    [
        (lambda n: "(" * n + "slots.a" + ")" * n, True),
        (lambda n: "not " * n + "slots.a", True),
        (lambda n: "(not " * n + "slots.a" + ")" * n, False),  # each level counts twice
    ],
)
def test_nesting_limit(make: Callable[[int], str], ok: bool) -> None:
    if ok:
        assert parse_expression(make(MAX_DEPTH)).evaluate({"slots": {"a": 1}}) in (True, False)
    else:
        with pytest.raises(ExpressionError, match="nested too deeply"):
            parse_expression(make(MAX_DEPTH))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(make(MAX_DEPTH + 1))


def test_deep_nesting_within_length_never_overflows_the_stack() -> None:
    for text in ("(" * 250, "not " * 125, "-" * 500, "[" * 500):
        with pytest.raises(ExpressionError):
            parse_expression(text)


def test_long_and_or_chains_are_flat() -> None:
    text = " and ".join(f"slots.s{i}" for i in range(35))
    assert len(text) <= MAX_LENGTH
    env: Env = {"slots": {f"s{i}": "yes" for i in range(35)}}
    assert parse_expression(text).evaluate(env) is True


def test_or_short_circuits() -> None:
    class Exploding(dict[str, object]):
        def get(self, key: str, default: object = None) -> object:
            raise AssertionError("read although the left side decided")

    env: Env = {"slots": {"a": 1}, "call": Exploding()}
    assert parse_expression("slots.a or call.x").evaluate(env) is True
    assert parse_expression("not slots.a and call.x").evaluate(env) is False


def test_random_text_only_ever_raises_expression_error() -> None:
    rng = random.Random(3)
    pieces = (
        "slots.a", "call.b", "tenant.c.d", "and", "or", "not", "in", "(", ")", "[", "]", ",",
        "==", "!=", "<", ">=", "1", "-2.5", "'x'", '"', "true", "null",
    )  # fmt: skip
    envs: list[Env] = [{}, {"slots": {"a": "3"}, "call": {"b": None}, "tenant": {"c": {"d": [1]}}}]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        try:
            expression = parse_expression(text)
        except ExpressionError as e:
            assert 1 <= e.column <= len(text) + 1
            continue
        for env in envs:
            assert isinstance(expression.evaluate(env), bool)
