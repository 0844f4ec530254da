"""The YAML loader's limits, one by one: size, control characters, depth, aliases,
values that cannot be built, and Jinja templates that fold to huge values. Each is an
error naming ``file:line`` (and a short message), found before anything big is built."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from agent.errors import FileError, FlowLoadError, TenantError
from agent.flow.load import parse_flow
from agent.postcall.templates import render_email
from agent.tenants.check import check_tenants
from agent.tenants.load import parse_tenant
from agent.yamlfile import MAX_FILE_BYTES, read_source, read_yaml

pytestmark = pytest.mark.unit

FLOW = """\
version: 1
id: tiny
start: hello
nodes:
  hello:
    kind: say
    text: {text}
    next: bye
  bye:
    kind: end
    text: Goodbye.
"""


def _error(text: str) -> FileError:
    with pytest.raises(FileError) as caught:
        read_yaml(text, "f.yaml", error=FileError, expected="a mapping")
    assert caught.value.path == "f.yaml" and caught.value.line is not None, caught.value
    assert len(str(caught.value)) < 1000
    return caught.value


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x9f"])
def test_a_control_character_is_refused_at_its_line_and_column(char: str) -> None:
    error = _error(f"a: 1\nb: x{char}y\n")
    assert error.line == 2 and "column 5" in str(error) and f"U+{ord(char):04X}" in str(error)


def test_an_escaped_control_character_is_refused_at_its_line() -> None:
    error = _error('a: 1\nb: "bell \\x07 here"\n')
    assert error.line == 2 and "control character U+0007" in str(error)


def test_tabs_and_line_breaks_are_fine() -> None:
    data, _ = read_yaml('a: "x\\ty"\nb: |\n  two\n  lines\r\n', "f", error=FileError, expected="")
    assert data == {"a": "x\ty", "b": "two\nlines\n"}


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 2000 + "]" * 2000, "a:\n" + "".join(f"{' ' * i} k{i}:\n" for i in range(80))],
)
def test_nesting_deeper_than_the_limit_is_refused_before_it_is_built(text: str) -> None:
    started = time.monotonic()
    assert "nested more than 64 levels" in str(_error(text))
    assert time.monotonic() - started < 30  # generous; it was a RecursionError


def test_an_alias_bomb_is_refused_with_a_short_message() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    assert len(bomb) < 600
    error = _error(bomb)
    assert "alias bomb" in str(error) and error.line is not None and error.line > 1


def test_a_recursive_alias_is_refused() -> None:
    assert "inside its own anchor" in str(_error("a: &x [1, *x]\n"))


def test_a_few_aliases_are_fine() -> None:
    data, _ = read_yaml("a: &p [one, two]\nb: *p\n", "f", error=FileError, expected="")
    assert data == {"a": ["one", "two"], "b": ["one", "two"]}


def test_a_value_that_cannot_be_built_names_its_line() -> None:
    error = _error("a: 1\nb: " + "9" * 5000 + "\n")
    assert error.line == 2 and "cannot read this value" in str(error)


def test_dates_stay_strings_as_in_yaml_1_2() -> None:
    data, _ = read_yaml("a: 2026-13-45\nb: 2026-01-05\n", "f", error=FileError, expected="")
    assert data == {"a": "2026-13-45", "b": "2026-01-05"}


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" + "# " + "x" * 1000 + "\n" * 0 + ("#" * 100 + "\n") * 11000)
    with pytest.raises(FileError, match=r"over the 1024 KiB limit") as caught:
        read_source(path, error=FileError, what="flow file")
    assert caught.value.line is not None
    assert "over the 1024 KiB limit" in str(_error("a: 1\n" + "#" * MAX_FILE_BYTES + "\n"))


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(FileError, match=r"latin\.yaml:2: cannot read flow file: not UTF-8"):
        read_source(path, error=FileError, what="flow file")


def test_many_problems_make_one_bounded_message() -> None:
    text = "name: X\nflow: f\n" + "".join(f"zz{i}: {'y' * 500}\n" for i in range(500))
    with pytest.raises(TenantError) as caught:
        parse_tenant(text, "t.yaml")
    assert len(str(caught.value)) < 20_000 and "... and" in str(caught.value)


@pytest.mark.parametrize(
    "bomb",
    [
        "{{ 9 ** (9 ** 9) }}",
        "{{ 'a' * 10**9 }}",
        "{{ 'x' | center(999999999) }}",
        "{{ (('a' * 1000) * 1000) * 1000 }}",
        "{{ range(10**9) | list }}",
    ],
)
def test_a_template_that_folds_to_a_huge_value_is_refused_at_its_line(bomb: str) -> None:
    started = time.monotonic()
    with pytest.raises(FlowLoadError, match=r"^t\.yaml:7: nodes\.hello\.text: .*too big"):
        parse_flow(FLOW.format(text=f'"{bomb}"'), source="t.yaml")
    assert time.monotonic() - started < 30  # generous: it hung, or took gigabytes


def test_ordinary_arithmetic_in_a_template_still_works() -> None:
    flow = parse_flow(FLOW.format(text="\"{{ 2 ** 10 }} and {{ 'ab' * 3 }}\""), source="t")
    assert flow.nodes["hello"].kind == "say"


def test_a_notification_template_cannot_build_a_huge_value(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants"
    (tenants / "shop" / "templates").mkdir(parents=True)
    (tenants / "shop" / "tenant.yaml").write_text("name: Shop\nflow: demo_bakery\n")
    template = tenants / "shop" / "templates" / "owner_summary.txt"
    template.write_text("Subject: hi\n\n{{ 'x' * 10**9 }}\n")
    from agent.config import ROOT

    (problem,) = check_tenants(tenants, ROOT / "flows")["shop"]
    assert re.match(rf"{re.escape(str(template))}:3: .*too big", problem)
    with pytest.raises(TenantError, match="too big"):
        render_email(tenants / "shop", "owner_summary", {}, default_subject="s")
