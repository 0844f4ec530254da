"""A meeting's invitation as an iCalendar file (RFC 5546 iTIP), made with ``icalendar``.

One UID per meeting for its whole life; each reschedule raises ``SEQUENCE`` so a
calendar replaces the event it has, and a cancellation is ``METHOD:CANCEL`` with
``STATUS:CANCELLED`` at the next sequence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from ..store.tables import Meeting, utcnow

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Frontdesk//Meetings//EN"


def uid(meeting_id: str) -> str:
    return f"meeting-{meeting_id}@frontdesk"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(
    meeting: Meeting,
    *,
    method: Method,
    organizer: str,
    join_url: str | None,
    now: datetime | None = None,
) -> str:
    """The ICS text of ``meeting`` for one attendee (whose join link it carries)."""
    zone = ZoneInfo(meeting.timezone)
    start = meeting.starts_at.astimezone(zone)
    event = Event()
    event.add("uid", uid(meeting.id))
    event.add("dtstamp", now or utcnow())
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_min))
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _address(organizer, "Frontdesk"))
    for person in meeting.attendees:
        event.add(
            "attendee",
            _address(person["email"], person["name"], ROLE="REQ-PARTICIPANT", RSVP="FALSE"),
        )
    if join_url and method == "REQUEST":
        event.add("url", join_url)
        event.add("location", join_url)
        event.add("description", f"Join: {join_url}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical.decode()
