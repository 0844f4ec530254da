"""``frontdesk meeting create``'s arguments: start times and attendees, and the errors
that name the option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import app
from agent.meetings.cli import parse_attendee, parse_start

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+90s", NOW + timedelta(seconds=90)),
        ("+10m", NOW + timedelta(minutes=10)),
        ("+2h", NOW + timedelta(hours=2)),
        ("2026-12-24T10:00:00+01:00", datetime(2026, 12, 24, 9, 0, tzinfo=UTC)),
    ],
)
def test_a_start_is_iso_with_an_offset_or_relative(text: str, expected: datetime) -> None:
    assert parse_start(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-24T10:00:00", "+10d"])
def test_a_bad_start_names_the_option(text: str) -> None:
    with pytest.raises(typer.BadParameter) as e:
        parse_start(text, now=NOW)
    assert e.value.param_hint == "--start"


def test_an_attendee_is_a_name_and_an_address() -> None:
    assert parse_attendee("Ada Lovelace <ada@example.org>") == {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
    }
    with pytest.raises(typer.BadParameter, match="Name <email>"):
        parse_attendee("ada@example.org")


def test_the_command_refuses_a_bad_attendee_before_calling_the_dispatcher() -> None:
    args = ["meeting", "create", "--tenant", "t", "--title", "x", "--start", "+5m"]
    result = CliRunner().invoke(app, [*args, "--attendee", "ada", "--dispatcher", "http://x:1"])
    assert result.exit_code == 2
    assert "--attendee" in result.output
