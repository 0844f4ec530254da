"""A meeting's invitation emails: the ICS (parsed back with icalendar), the SEQUENCE and
CANCEL of updates, and the signed join link (one attendee, one meeting, expiring)."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
from icalendar import Calendar
from pydantic import SecretStr

from agent.config import load_settings
from agent.errors import RequestError
from agent.meetings import links, mail
from agent.postcall.channels.smtp import SmtpChannel
from agent.store.tables import Meeting
from agent.worker_app import PARTICIPANT_WAIT_S, participant_wait_s

pytestmark = pytest.mark.unit

SETTINGS = load_settings(check_keys=False)
START = datetime(2026, 12, 24, 10, 30, tzinfo=UTC)


def _meeting(sequence: int = 0) -> Meeting:
    return Meeting(
        id="0123456789abcdef",
        tenant="crumb-and-co",
        title="Wholesale discovery",
        starts_at=START,
        duration_min=30,
        timezone="Europe/London",
        attendees=[
            {"name": "Ada Lovelace", "email": "ada@example.org"},
            {"name": "Bob Baker", "email": "bob@example.org"},
        ],
        organizer="owner@crumbandco.example",
        mode="discovery",
        status="scheduled",
        sequence=sequence,
    )


def _calendar(purpose: mail.AttendeeMail, sequence: int = 0) -> tuple[Message, Calendar]:
    message = mail.attendee_message(
        SETTINGS, _meeting(sequence), purpose, {"name": "Ada", "email": "ada@example.org"}
    )
    smtp = SmtpChannel(host="127.0.0.1", sender="Frontdesk <frontdesk@example.org>")
    mime = email.message_from_bytes(bytes(smtp.build(message, idempotency_key="k:1")))
    (part,) = [p for p in mime.walk() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return part, Calendar.from_ical(payload)


def test_an_invitation_is_an_ics_request_with_the_attendees_own_link() -> None:
    part, calendar = _calendar("meeting_invitation")
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "invite.ics"
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "meeting-0123456789abcdef@frontdesk"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert str(event["DTSTART"].params["TZID"]) == "Europe/London"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:ada@example.org", "mailto:bob@example.org"]
    token = str(event["URL"]).split("#", 1)[1]
    claim = links.verify(SETTINGS, token)
    assert (claim.meeting_id, claim.email) == ("0123456789abcdef", "ada@example.org")


def test_an_update_keeps_the_uid_and_raises_the_sequence() -> None:
    _, first = _calendar("meeting_invitation", 0)
    _, moved = _calendar("meeting_update", 1)
    (a,), (b,) = first.walk("VEVENT"), moved.walk("VEVENT")
    assert a["UID"] == b["UID"]
    assert (int(a["SEQUENCE"]), int(b["SEQUENCE"])) == (0, 1)


def test_a_cancellation_is_method_cancel() -> None:
    part, calendar = _calendar("meeting_cancellation", 2)
    assert part.get_param("method") == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 2)
    assert "URL" not in event


def test_a_join_token_is_refused_when_expired_or_forged() -> None:
    claim = links.JoinClaim(meeting_id="m1", email="ada@example.org")
    past = links.sign(SETTINGS, claim, expires=datetime.now(UTC) - timedelta(seconds=5))
    with pytest.raises(RequestError, match="expired") as e:
        links.verify(SETTINGS, past)
    assert (e.value.status, e.value.field) == (401, "token")
    good = links.sign(SETTINGS, claim, expires=datetime.now(UTC) + timedelta(hours=1))
    other = SETTINGS.model_copy(
        update={"livekit_api_secret": SecretStr("another-secret-entirely-x")}
    )
    with pytest.raises(RequestError, match="not valid"):
        links.verify(other, good)
    assert links.verify(SETTINGS, good) == claim


@pytest.mark.parametrize(
    ("metadata", "wait"),
    [
        ('{"tenant": "t", "wait_s": 315}', 315.0),
        ('{"tenant": "t"}', PARTICIPANT_WAIT_S),
        ('{"wait_s": -1}', PARTICIPANT_WAIT_S),
        ('{"wait_s": "forever"}', PARTICIPANT_WAIT_S),
        ("not json", PARTICIPANT_WAIT_S),
        ("", PARTICIPANT_WAIT_S),
    ],
)
def test_a_meeting_dispatch_tells_the_agent_how_long_to_wait(metadata: str, wait: float) -> None:
    assert participant_wait_s(metadata) == wait
