"""The meeting assistant's rules: when it is addressed, what its summary holds, and how a
room says it is in assistant mode."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from agent.errors import TenantError
from agent.meetings.assistant import Line, MeetingNotes, addressed
from agent.tenants import RoomKeys
from agent.tenants.model import MeetingAssistant

pytestmark = pytest.mark.unit
NAMES = ("assistant", "front desk")
AT = datetime(2026, 12, 7, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "question"),
    [
        (
            "Assistant, what are your opening hours on Sunday?",
            "what are your opening hours on sunday",
        ),
        ("Hey assistant, do you deliver?", "do you deliver"),
        ("OK, front desk: how much is a croissant?", "how much is a croissant"),
        ("Front Desk.", ""),
        ("We need an assistant manager for Sundays.", None),
        ("What are your hours?", None),
        ("", None),
    ],
)
def test_only_a_line_that_starts_with_its_name_addresses_it(
    line: str, question: str | None
) -> None:
    assert addressed(line, NAMES) == question


def test_the_summary_counts_lines_and_keeps_commitments_as_action_items() -> None:
    notes = MeetingNotes(
        lines=[
            Line("ada", "We will send you the new price list by Friday.", AT),
            Line("bob", "Assistant, what are your opening hours on Sunday?", AT),
            Line("bob", "Great, I'll come by on Sunday then.", AT),
            Line("ada", "The sourdough sold well this week.", AT),
        ],
        questions=1,
    )
    summary = notes.summarized(AT, NAMES)
    assert summary.lines == {"ada": 2, "bob": 2}
    assert summary.questions == 1
    assert summary.action_items == [
        {"who": "ada", "text": "We will send you the new price list by Friday."},
        {"who": "bob", "text": "Great, I'll come by on Sunday then."},
    ]
    assert summary.summary.startswith("ada and bob spoke")
    assert MeetingNotes().summarized(AT, NAMES).summary == "Nobody spoke."


def test_a_meeting_room_names_its_mode() -> None:
    keys = RoomKeys.from_room('{"tenant": "t", "source": "meeting", "mode": "assistant"}')
    assert keys.mode == "assistant"
    assert RoomKeys.from_room('{"tenant": "t", "source": "meeting"}').mode == "discovery"
    with pytest.raises(TenantError, match="'mode' must be one of discovery, assistant"):
        RoomKeys.from_room('{"tenant": "t", "source": "meeting", "mode": "party"}')


def test_the_assistants_names_are_words_an_attendee_says() -> None:
    assert MeetingAssistant(names=["  Front   Desk "]).names == ["front desk"]
    with pytest.raises(ValidationError, match="words of letters"):
        MeetingAssistant(names=["bot-3000"])
