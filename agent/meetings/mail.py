"""A meeting's emails, enqueued in the notification outbox (delivered by the outbox
processor like every other email, each once).

Each carries an idempotency key naming the meeting, the email's purpose, the meeting's
ICS ``SEQUENCE`` and the recipient: an invitation, update or reminder is enqueued once
per version of the meeting, however often the job that enqueues it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..postcall.messages import Attachment, EmailMessage
from ..store.outbox import NewNotification, enqueue
from ..store.tables import Meeting
from . import ics, links

AttendeeMail = Literal[
    "meeting_invitation", "meeting_update", "meeting_cancellation", "meeting_reminder"
]
ICS_FILE = "invite.ics"


def _when(meeting: Meeting) -> str:
    start = meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))
    return f"{start:%A %d %B %Y, %H:%M} ({meeting.timezone}), {meeting.duration_min} minutes"


def join_token(settings: Settings, meeting: Meeting, email: str) -> str:
    end = meeting.starts_at + timedelta(minutes=meeting.duration_min)
    claim = links.JoinClaim(meeting_id=meeting.id, email=email)
    return links.sign(settings, claim, expires=end + links.AFTER_END)


def attendee_message(
    settings: Settings, meeting: Meeting, purpose: AttendeeMail, attendee: dict[str, str]
) -> EmailMessage:
    url = links.join_url(settings, join_token(settings, meeting, attendee["email"]))
    when, title = _when(meeting), meeting.title
    subject, text = {
        "meeting_invitation": (
            f"Invitation: {title}",
            f"Hello {attendee['name']},\n\nyou are invited to {title!r} on {when}.\n\n"
            f"Join here at the time (this link is yours alone):\n{url}\n",
        ),
        "meeting_update": (
            f"Updated: {title}",
            f"Hello {attendee['name']},\n\n{title!r} has moved to {when}.\n\n"
            f"Join here at the time:\n{url}\n",
        ),
        "meeting_cancellation": (
            f"Cancelled: {title}",
            f"Hello {attendee['name']},\n\n{title!r} on {when} is cancelled.\n",
        ),
        "meeting_reminder": (
            f"Reminder: {title}",
            f"Hello {attendee['name']},\n\n{title!r} starts soon: {when}.\n\nJoin here:\n{url}\n",
        ),
    }[purpose]
    attachments: tuple[Attachment, ...] = ()
    if purpose != "meeting_reminder":
        method: ics.Method = "CANCEL" if purpose == "meeting_cancellation" else "REQUEST"
        body = ics.invitation(
            meeting, method=method, organizer=organizer_of(settings, meeting), join_url=url
        )
        attachments = (
            Attachment(
                filename=ICS_FILE, content_type=f"text/calendar; method={method}", content=body
            ),
        )
    return EmailMessage(
        purpose=purpose, to=attendee["email"], subject=subject, text=text, attachments=attachments
    )


def organizer_of(settings: Settings, meeting: Meeting) -> str:
    return meeting.organizer or settings.mail_from


async def enqueue_for_attendees(
    s: AsyncSession, settings: Settings, meeting: Meeting, purpose: AttendeeMail
) -> list[int]:
    """Enqueue ``purpose`` for every attendee; returns the new outbox ids (none when
    this version of the meeting already had it)."""
    ids: list[int] = []
    for attendee in meeting.attendees:
        message = attendee_message(settings, meeting, purpose, attendee)
        key = f"meeting:{meeting.id}:{purpose}:{meeting.sequence}:{attendee['email'].lower()}"
        new = await enqueue(s, _note(meeting, message, key))
        if new is not None:
            ids.append(new)
    return ids


async def enqueue_no_show(s: AsyncSession, settings: Settings, meeting: Meeting) -> int | None:
    names: Sequence[str] = [a["name"] for a in meeting.attendees]
    message = EmailMessage(
        purpose="meeting_no_show",
        to=organizer_of(settings, meeting),
        subject=f"No-show: {meeting.title}",
        text=(
            f"Nobody joined {meeting.title!r} ({_when(meeting)}); invited: "
            f"{', '.join(names)}. The agent left the meeting.\n"
        ),
    )
    key = f"meeting:{meeting.id}:meeting_no_show:{meeting.sequence}"
    return await enqueue(s, _note(meeting, message, key))


def _note(meeting: Meeting, message: EmailMessage, key: str) -> NewNotification:
    return NewNotification(
        tenant=meeting.tenant,
        call_id=None,
        channel="email",
        target=message.to,
        idempotency_key=key,
        template=message.purpose,
        payload=message.model_dump(mode="json"),
    )
