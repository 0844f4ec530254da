"""What a scenario turn expects, and the check of it against what the flow did.

Every check is optional. ``says`` fragments must all occur in what the agent said during
the turn, in the given order, ignoring case and spacing; ``says_not`` fragments must not
occur. ``slots`` must hold (other slots may be filled too). ``events`` must each have
been emitted during the turn (by snake_case name: ``handoff_requested``,
``consent_recorded``, ``knowledge_answered``, ...). A failure is a message meant
for a terminal; where comparing two lists helps (``says``, the node path), it carries a
unified diff of expected against actual.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..flow.conditions import SlotName
from ..flow.events import FlowEvent
from ..flow.machine import FlowState
from ..flow.model import NodeId

Fragment = Annotated[str, StringConstraints(min_length=1)]
EventName = Literal[
    "node_entered",
    "slot_set",
    "slot_cleared",
    "transition_taken",
    "reprompt",
    "global_intent",
    "knowledge_answered",
    "consent_recorded",
    "handoff_requested",
    "human_joined",
    "handed_back",
    "handoff_timed_out",
    "call_transferred",
    "assist_failed",
    "ended",
]


def event_name(event: FlowEvent) -> str:
    """``HandoffRequested`` -> ``handoff_requested``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


class Expect(BaseModel):
    """What must hold after a turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: NodeId | None = None
    says: tuple[Fragment, ...] = ()
    says_not: tuple[Fragment, ...] = ()
    slots: dict[SlotName, str] = Field(default_factory=dict)
    ended: bool | None = None
    end_node: NodeId | None = None
    events: tuple[EventName, ...] = ()

    @field_validator("says", "says_not", "events", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


def check_turn(
    expect: Expect, said: Sequence[str], state: FlowState, events: Sequence[FlowEvent] = ()
) -> list[str]:
    """Why ``expect`` does not hold after a turn that ``said`` these lines, emitted
    ``events`` and left the flow in ``state`` (empty when it holds)."""
    found = _says_failures(expect, said)
    says_failed = bool(found)
    found += _state_failures(expect, state)
    emitted = [event_name(e) for e in events]
    missing = [name for name in expect.events if name not in emitted]
    if missing:
        found.append(f"events: {', '.join(missing)} not emitted (emitted: {', '.join(emitted)})")
    if found and not says_failed:
        found.append("the agent said:" + _quoted(said))
    return found


def check_path(expected: Sequence[str], actual: Sequence[str]) -> str:
    """Why the node path ``actual`` is not ``expected`` ("" when it is)."""
    if tuple(expected) == tuple(actual):
        return ""
    return "expect_path differs from the nodes entered\n" + diff(
        expected, actual, "expect_path", "path taken"
    )


def diff(expected: Sequence[str], actual: Sequence[str], old: str, new: str) -> str:
    """A unified diff, one item a line, with full context, indented by two spaces."""
    context = max(len(expected), len(actual))
    lines = difflib.unified_diff(list(expected), list(actual), old, new, n=context, lineterm="")
    return indent("\n".join(lines), "  ")


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _state_failures(expect: Expect, state: FlowState) -> list[str]:
    found: list[str] = []
    if expect.node is not None and state.current != expect.node:
        found.append(f"expected node {expect.node!r}, but the flow is at {state.current!r}")
    found += [
        f"expected slot {slot!r} = {value!r}, but it is {state.slots.get(slot)!r}"
        for slot, value in expect.slots.items()
        if state.slots.get(slot) != value
    ]
    where = f"ended at {state.current!r}" if state.ended else f"is at {state.current!r}"
    if expect.ended is not None and state.ended != expect.ended:
        found.append(f"expected the call to {'end' if expect.ended else 'go on'}, but it {where}")
    if expect.end_node is not None and not (state.ended and state.current == expect.end_node):
        found.append(f"expected the call to end at {expect.end_node!r}, but it {where}")
    return found


def _says_failures(expect: Expect, said: Sequence[str]) -> list[str]:
    spoken = _fold(" ".join(said))
    expected, missing = _match_in_order(expect.says, said)
    found: list[str] = []
    if missing:
        header = f"says: {', '.join(map(repr, missing))} not said"
        found.append(header + "\n" + diff(expected, said, "says (matched lines in full)", "said"))
    unwanted = [fragment for fragment in expect.says_not if _fold(fragment) in spoken]
    if unwanted:
        found.append(f"says_not: {', '.join(map(repr, unwanted))} was said:" + _quoted(said))
    return found


def _match_in_order(fragments: Sequence[str], said: Sequence[str]) -> tuple[list[str], list[str]]:
    """Find ``fragments`` in order in ``said``: (the expected side of a diff, in which a
    found fragment stands as the line it was found in, the fragments not found)."""
    folded = [_fold(line) for line in said]
    starts = list(accumulate((len(line) + 1 for line in folded[:-1]), initial=0))
    spoken = " ".join(folded)
    expected: list[str] = []
    missing: list[str] = []
    pos = 0
    for fragment in fragments:
        at = spoken.find(_fold(fragment), pos)
        if at < 0:
            missing.append(fragment)
            expected.append(fragment)
            continue
        pos = at + len(_fold(fragment))
        line = said[bisect_right(starts, at) - 1]
        if not expected or expected[-1] != line:
            expected.append(line)
    return expected, missing


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _quoted(said: Sequence[str]) -> str:
    return "".join(f"\n  > {line}" for line in said) or " (nothing)"
