"""Malformed YAML never escapes as a traceback: a bounded, seeded mutation fuzz of the
shipped flows and tenant files (``tests/yaml_fuzz.py``), each mutant loaded in a child
process with a time and memory limit. Every mutant is either accepted or refused with
an error naming ``file:line``; none made invalid by its mutation is accepted; none
hangs. ``bench/yaml_fuzz.py`` runs the same with more mutants and prints the table."""

from __future__ import annotations

import pytest

from agent.config import ROOT
from tests.yaml_fuzz import MUTATIONS, Target, fuzz, table

pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]


@pytest.mark.parametrize("target", ["flow", "tenant"])
def test_fuzzed_files_give_line_numbered_errors_and_nothing_else(target: Target) -> None:
    outcomes = fuzz(ROOT, target, count=2 * len(MUTATIONS) + 22, seed=20, timeout_s=60)
    result = table(outcomes)
    assert result.mutants == len(outcomes) == 2 * len(MUTATIONS) + 22
    not_here = {"flow": {"timezone"}, "tenant": {"jinja_bomb"}}[target]  # no such field
    assert {o.mutant.mutation for o in outcomes} == set(MUTATIONS) - not_here
    assert result.row()[1:] == (0, 0, 0, 0), result.examples  # tracebacks .. hangs
    assert any(o.kind == "error" for o in outcomes) and any(o.kind == "accepted" for o in outcomes)
